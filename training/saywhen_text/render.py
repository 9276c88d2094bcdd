"""Rendering of a conversation to model input ids -- THE specification shared with the C++ side.

render(messages, agent_speaking, sp, config) -> list[int]

messages: list of {"role": "user"|"assistant"|"agent", "content": str}; the LAST element is the
current user message (role "user"). The up to config["max_context_turns"] messages before it are
the context, oldest first.

ids = [cls]
      + for each context turn: [user|agent piece] + sp.encode(text.strip())
      + [speaking if agent_speaking else listening] + [msg] + sp.encode(message.strip())
If len(ids) > max_tokens: the message ids are first cut to their LAST (max_tokens - 3) ids; then
context tokens are dropped from the OLDEST end (token by token, right after cls) until
len(ids) == max_tokens.
"""

AGENT_ROLES = ("assistant", "agent")


def piece_ids(sp, config):
    p = config["pieces"]
    out = {}
    for k, v in p.items():
        i = sp.piece_to_id(v)
        if i == sp.unk_id() and v != sp.id_to_piece(sp.unk_id()):
            raise ValueError(f"piece {v!r} not in the tokenizer")
        out[k] = i
    return out


def render(messages, agent_speaking, sp, config, _pid_cache={}):
    if not messages:
        raise ValueError("no messages")
    last = messages[-1]
    if last.get("role") != "user":
        raise ValueError("last message must have role 'user'")
    key = id(sp)
    pid = _pid_cache.get(key)
    if pid is None:
        pid = piece_ids(sp, config)
        _pid_cache[key] = pid
    max_tokens = int(config["max_tokens"])
    n_ctx = int(config["max_context_turns"])
    context = messages[:-1][-n_ctx:] if n_ctx > 0 else []

    ctx_ids = []
    for m in context:
        role = m.get("role")
        if role == "user":
            ctx_ids.append(pid["user"])
        elif role in AGENT_ROLES:
            ctx_ids.append(pid["agent"])
        else:
            raise ValueError(f"unknown role {role!r}")
        ctx_ids.extend(sp.encode(m.get("content", "").strip()))

    msg_ids = sp.encode(last.get("content", "").strip())
    if len(msg_ids) > max_tokens - 3:
        msg_ids = msg_ids[len(msg_ids) - (max_tokens - 3):]
    flag = pid["speaking"] if agent_speaking else pid["listening"]
    tail = [flag, pid["msg"]] + msg_ids
    room = max_tokens - 1 - len(tail)
    if len(ctx_ids) > room:
        ctx_ids = ctx_ids[len(ctx_ids) - room:] if room > 0 else []
    return [pid["cls"]] + ctx_ids + tail
