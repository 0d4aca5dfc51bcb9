"""Deep learning on PyTorch, shared by the families that train networks: the device to train on
(``device``), the networks (``networks``), and one training loop with early stopping, a
learning-rate schedule, mixed precision on a GPU and a deadline (``trainer``).

torch is imported inside the functions that need it: importing this package needs no torch.
"""
