"""State changes of voices, split by concern. The API, the HTML views, the admin and the worker all
call these; nothing else writes a voice.

- ``voice``: create, edit, delete, and the one gate for speech (``voice_assert_usable``);
- ``clone``: start a clone, and the worker's transitions (processing, succeeded, failed, progress);
- ``consent``: the phrase, the recording, the verdict, revocation;
- ``moderation``: approve / reject / suspend / reinstate, renewal and the retention purge;
- ``audit``: the event log every change writes.

Worker-side changes re-read the voice under ``select_for_update`` and write only their own columns:
what a moderator or the owner changed meanwhile stays changed, and a deleted voice stays deleted.
"""
