"""Image segmentation: a class for every pixel, learnt from images and their masks.

``manabu train images/ --masks masks/`` (``manabu.segment``) pairs each image with the mask of
the same name (``folders``), trains a U-Net on random tiles with Dice loss and cross-entropy
(``network``, ``tiles``, the network itself in ``deep.unet``), scores it on held-out images
(``evaluate.segmentation``) and saves a model folder: weights as safetensors, the rest as JSON
(``codec``), its own ``kind`` in the manifest, loaded by ``manabu.load`` (``model``).

Importing this package imports nothing heavy: ``codec`` registers the storage format without
torch, and the modules that train import torch themselves.
"""
