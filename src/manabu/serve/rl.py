"""An agent behind HTTP: ``POST /act`` answers the action its policy takes.

The body is JSON: ``{"observation": ...}`` for one state (a number for a Discrete observation
space, a list or nested list of numbers of the space's shape for a Box, an object of those for a
Dict), or ``{"observations": [...]}`` for several. The answer is ``{"action": ...}`` or
``{"actions": [...]}``: the deterministic policy's choice (``Agent.act``; the same observation
always gets the same action), a whole number for a Discrete action space, a list for a Box.
An observation of the wrong type or shape is refused with 422 and a message naming the space.
"""
from __future__ import annotations

import json
from typing import Any

import numpy as np
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from manabu.base.errors import ManabuError
from manabu.reinforcement.spaces import shown
from manabu.serve.app import ERRORS_AUTH, MESSAGE, ServeSettings, error_response, guarded_app, media_type, read_body

ACT_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "properties": {
        "observation": {"description": "one observation: a number (Discrete) or a (nested) list of numbers (Box)"},
        "observations": {"type": "array", "description": "several observations, answered together"}}}}}}}
ERRORS = {413: {"description": "Body over the size limit", **MESSAGE},
          415: {"description": "Not JSON", **MESSAGE},
          422: {"description": "An observation that does not fit the observation space, named", **MESSAGE}}


class _Refused(ValueError):
    """An observation that does not fit the space (the reason, in English, for the message)."""


def create_rl_app(agent, settings: ServeSettings | None = None) -> FastAPI:
    """The app around a loaded ``rl.agent.Agent``."""
    settings = settings or ServeSettings()
    space, action_space = agent.settings["observation_space"], agent.settings["action_space"]
    evaluation = agent.record.get("evaluation") or {}
    metadata = {"task": "rl", "env": agent.env_id, "algo": agent.algo, "observation_space": space,
                "action_space": action_space,
                "evaluation": {who: {key: found.get(key) for key in ("episodes", "mean", "std", "success_rate")}
                               for who, found in evaluation.items()}, **settings.model_info}
    app = guarded_app("manabu: rl", f"POST /act with an observation of {agent.env_id} ({shown(space)}): the action "
                      f"({shown(action_space)}) the {agent.algo} agent takes.", settings, metadata,
                      "What the agent is: its environment, spaces and evaluation")

    @app.post("/act", summary="The action the policy takes for each observation", openapi_extra=ACT_BODY,
              responses={**ERRORS_AUTH, **ERRORS})
    async def act(request: Request) -> Response:
        body = await read_body(request, settings.max_body_bytes)
        if body is None:
            return error_response(413, "serve.too_large", limit=settings.max_body_bytes)
        asked = _asked(request, body, space)
        if isinstance(asked, Response):
            return asked
        single, batch = asked
        actions = await run_in_threadpool(lambda: agent.act_batch(batch))
        answered = [_action(action, action_space) for action in actions]
        return JSONResponse({"action": answered[0]} if single else {"actions": answered})

    @app.exception_handler(ManabuError)
    async def manabu_error(request: Request, error: ManabuError) -> JSONResponse:
        return JSONResponse({"message": str(error), "detail": []}, status_code=422)

    return app


def _asked(request: Request, body: bytes, space: dict[str, Any]) -> tuple[bool, Any] | Response:
    """(one observation or several, the batch to act on), or the response that refuses the body."""
    kind = media_type(request)
    if kind not in ("application/json", ""):
        return error_response(415, "rl_serve.media_type", kind=kind)
    try:
        parsed = json.loads(body)
    except ValueError as error:
        return error_response(422, "serve.bad_json", reason=str(error))
    single = isinstance(parsed, dict) and "observation" in parsed
    many = parsed.get("observations") if isinstance(parsed, dict) else None
    if not single and (not isinstance(many, list) or not many):
        return error_response(422, "rl_serve.no_observation", space=shown(space), example=_example(space))
    given = [parsed["observation"]] if single else many
    try:
        return single, _batch([observation(value, space, i) for i, value in enumerate(given)], space)
    except _Refused as refused:
        at = "" if single else f" (observation {refused.args[1] + 1})"
        return error_response(422, "rl_serve.bad_observation", space=shown(space), reason=refused.args[0] + at,
                              example=_example(space))


def observation(value: Any, space: dict[str, Any], index: int = 0) -> Any:
    """One JSON observation as the agent takes it, checked against the space (``_Refused`` if not)."""
    try:
        return _checked(value, space)
    except _Refused as refused:
        raise _Refused(refused.args[0], index) from None


def _checked(value: Any, space: dict[str, Any]) -> Any:
    kind = space["kind"]
    if kind == "Discrete":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or float(value) != int(value):
            raise _Refused(f"a whole number was expected, not {json.dumps(value)[:60]}")
        start, n = int(space.get("start", 0)), int(space["n"])
        if not start <= int(value) < start + n:
            raise _Refused(f"{int(value)} is outside {start}..{start + n - 1}")
        return np.int64(value)
    if kind == "Dict":
        if not isinstance(value, dict) or set(value) != set(space["spaces"]):
            raise _Refused(f"an object with the keys {sorted(space['spaces'])} was expected")
        return {name: _checked(value[name], sub) for name, sub in space["spaces"].items()}
    shape = _shape(space)
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise _Refused(f"numbers of shape {list(shape)} were expected") from None
    if array.shape != shape:
        raise _Refused(f"the shape is {list(array.shape)}, not {list(shape)}")
    if not np.all(np.isfinite(array)):
        raise _Refused("every number must be finite")
    return array.astype(np.dtype(space.get("dtype", "float32")) if kind == "Box" else np.int64)


def _shape(space: dict[str, Any]) -> tuple[int, ...]:
    if space["kind"] == "Box":
        return tuple(int(n) for n in space["shape"])
    if space["kind"] == "MultiDiscrete":
        return tuple(np.shape(space["nvec"]))
    return tuple(np.atleast_1d(space["n"]).tolist())


def _batch(observations: list[Any], space: dict[str, Any]) -> Any:
    if space["kind"] == "Dict":
        return {name: np.stack([o[name] for o in observations]) for name in space["spaces"]}
    return np.stack(observations)


def _action(action: Any, space: dict[str, Any]) -> Any:
    if space["kind"] == "Discrete":
        return int(np.asarray(action).reshape(-1)[0]) if np.ndim(action) else int(action)
    return np.asarray(action).tolist()


def _example(space: dict[str, Any]) -> str:
    """A body that fits the space, for the messages."""
    if space["kind"] == "Discrete":
        return json.dumps({"observation": int(space.get("start", 0))})
    if space["kind"] == "Dict":
        return json.dumps({"observation": {name: "…" for name in space["spaces"]}}, ensure_ascii=False)
    return json.dumps({"observation": np.zeros(_shape(space)).tolist()})
