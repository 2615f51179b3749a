-- Signed requests carry a nonce (issue 19): the replay record is the nonce
-- a key used, no longer the signature, so that two identical requests
-- signed in the same second both pass while a replay is refused. Rows
-- already there hold signatures, unique too, and expire within minutes.
ALTER TABLE api_signatures RENAME COLUMN signature TO nonce;
