#!/usr/bin/env bash
# An insurer's system pushing a policy and an accident claim to govfleet
# exactly as the API expects (R-23): every request signed with the
# company's API key, with an Idempotency-Key so that a retry is safe.
#
#   GOVFLEET_URL=http://127.0.0.1:8080 KEY_ID=gfk_… SECRET=… PLATE=苏D… docs/insurer-client.sh
#
# KEY_ID and SECRET come from 企业工作台 → API密钥 (the secret is shown once).
# Needs bash, openssl and curl. Signature:
#   hex(HMAC-SHA256(secret, METHOD \n PATH \n TIMESTAMP \n NONCE \n hex(SHA-256(body))))
# where NONCE (header X-Nonce) is a fresh random string for every request.
set -euo pipefail
: "${GOVFLEET_URL:?set GOVFLEET_URL}" "${KEY_ID:?set KEY_ID}" "${SECRET:?set SECRET}" "${PLATE:?set PLATE to the vehicle plate}"
stamp=$(date +%Y%m%d%H%M%S)
POLICY_NO=${POLICY_NO:-PDZA${stamp}}
CLAIM_NO=${CLAIM_NO:-RDAA${stamp}}

hex_sha256() { openssl dgst -sha256 -hex | sed 's/^.*= //'; }

# signed METHOD PATH BODY IDEMPOTENCY-KEY: sends one signed request and
# prints the response; fails on a non-2xx answer.
signed() {
	local method=$1 path=$2 body=$3 idem=$4 ts nonce sig
	ts=$(date +%s)
	nonce=$(openssl rand -hex 16)
	sig=$(printf '%s\n%s\n%s\n%s\n%s' "$method" "$path" "$ts" "$nonce" "$(printf '%s' "$body" | hex_sha256)" |
		openssl dgst -sha256 -hmac "$SECRET" -hex | sed 's/^.*= //')
	curl -sS --fail-with-body -X "$method" "$GOVFLEET_URL$path" \
		-H 'Content-Type: application/json' \
		-H "X-Key-Id: $KEY_ID" -H "X-Timestamp: $ts" -H "X-Nonce: $nonce" -H "X-Signature: $sig" \
		-H "Idempotency-Key: $idem" \
		--data-binary "$body"
	echo
}

# A commercial policy for a year from today (amounts in fen).
starts=$(date +%Y-%m-%d)
ends=$(date -d "$starts +1 year -1 day" +%Y-%m-%d)
policy=$(printf '{"policy_no":"%s","kind":"commercial","plate":"%s","starts_on":"%s","ends_on":"%s","premium_fen":468000,"coverage":[{"name":"机动车损失保险","amount_fen":18000000},{"name":"第三者责任保险","amount_fen":200000000}]}' \
	"$POLICY_NO" "$PLATE" "$starts" "$ends")
echo "== 推送保单 $POLICY_NO"
signed POST /api/insurance/policies "$policy" "policy-$POLICY_NO"

# An accident claim under it, reported an hour ago, then paid.
occurred=$(date -u -d '1 hour ago' +%Y-%m-%dT%H:%M:%SZ)
claim() {
	printf '{"claim_no":"%s","policy_no":"%s","occurred_at":"%s","place":"常州市天宁区延陵西路","damage":"前保险杠刮擦","amount_fen":356000,"paid_fen":%s,"status":"%s"}' \
		"$CLAIM_NO" "$POLICY_NO" "$occurred" "$1" "$2"
}
echo "== 报案 $CLAIM_NO"
signed POST /api/insurance/claims "$(claim 0 reported)" "claim-$CLAIM_NO-reported"
echo "== 赔付 $CLAIM_NO"
signed POST /api/insurance/claims "$(claim 320000 paid)" "claim-$CLAIM_NO-paid"
