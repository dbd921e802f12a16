/*
 * fuzz_rpc.c - JSON-RPC replies, through the real client with the HTTP
 * layer replaced (fakehttp.h): the envelope (version, id, result or
 * error) and every result decoder the gate and the payout worker use.
 * Byte 0 picks the call and the HTTP status; the rest is the reply.
 * The request id is always 1 (a fresh client per input).
 */
#include "autoconfig.h"

#include "x402.h"
#include "fuzz.h"
#include "fakehttp.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t addr[20], hash[32], tx[4] = { 1, 2, 3, 4 };
	struct x402_rpc *rpc = NULL;
	struct x402_rpc_receipt rc;
	struct x402_detail d;
	struct x402_buf ret;
	json_object *res = NULL;
	x402_u256 a, b;
	uint64_t u;
	uint8_t h[32];

	if (size < 1 || size > FUZZ_MAX)
		return 0;
	fake_init();
	fake_status = (data[0] & 0x80) ? 500 : 200;
	fake_body = (const char *)data + 1;
	fake_len = size - 1;
	x402_buf_init(&ret, 4096);
	if (x402_rpc_new(&rpc, "http://127.0.0.1:9", NULL, &d) != 0)
		abort();
	switch ((data[0] & 0x7f) % 10) {
	case 0:
		(void)x402_rpc_call(rpc, &res, "eth_x", "[]", &d);
		break;
	case 1:
		(void)x402_rpc_chain_id(rpc, &u, &d);
		break;
	case 2:
		(void)x402_rpc_block_number(rpc, &u, &d);
		break;
	case 3:
		(void)x402_rpc_get_transaction_count(rpc, &u, addr, NULL, &d);
		break;
	case 4:
		(void)x402_rpc_gas_price(rpc, &a, &d);
		break;
	case 5:
		(void)x402_rpc_fee_history(rpc, &a, &b, 4, 50, &d);
		break;
	case 6:
		(void)x402_rpc_estimate_gas(rpc, &u, addr, addr, tx, sizeof(tx),
		    &d);
		break;
	case 7:
		(void)x402_rpc_eth_call(rpc, &ret, addr, tx, sizeof(tx), NULL,
		    &d);
		break;
	case 8:
		(void)x402_rpc_send_raw_transaction(rpc, h, tx, sizeof(tx),
		    &d);
		break;
	default:
		(void)x402_rpc_get_transaction_receipt(rpc, &rc, hash, &d);
		break;
	}
	(void)x402_rpc_last_error(rpc);
	json_object_put(res);
	x402_buf_free(&ret);
	x402_rpc_free(rpc);
	return 0;
}
