"""What runs leave on record (layer 6), in the Spec-Kit Plus layout.

`phr` writes and reads Prompt History Records, `adr` Architecture Decision Records (only on
request), `numbering` hands out their numbers atomically, `index` lists and searches the log,
and `redaction` keeps secrets out of everything written or shown.

May import: `contract` and `settings` only.
"""
