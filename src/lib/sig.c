/*
 * sig.c - secp256k1 signatures with libsecp256k1 (recovery module).
 *
 * The context is created with SECP256K1_CONTEXT_NONE (0.2.0 API: one
 * context does everything), randomized from getrandom() and self-tested
 * against a known answer before it is handed out.
 */
#include "autoconfig.h"

#include <sys/types.h>
#include <sys/random.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include "keccak.h"
#include "sig.h"

/* A key file holds 64 hex digits, "0x" and some whitespace: far below. */
#define KEYFILE_MAX 256
/* A uniform 32-byte string is >= n with probability ~2^-128. */
#define KEYGEN_TRIES 16

struct x402_sig_ctx {
	secp256k1_context *ctx;
};

/*
 * Self-test known answer (notes §10.2 KAT-1): anvil key #0 signs the
 * Base Sepolia EIP-3009 digest; RFC 6979 makes the signature fixed.
 */
static const uint8_t st_key[X402_SECKEY_LEN] = {
	0xac, 0x09, 0x74, 0xbe, 0xc3, 0x9a, 0x17, 0xe3,
	0x6b, 0xa4, 0xa6, 0xb4, 0xd2, 0x38, 0xff, 0x94,
	0x4b, 0xac, 0xb4, 0x78, 0xcb, 0xed, 0x5e, 0xfc,
	0xae, 0x78, 0x4d, 0x7b, 0xf4, 0xf2, 0xff, 0x80,
};
static const uint8_t st_digest[32] = {
	0x50, 0x70, 0x8d, 0x3b, 0xf7, 0x21, 0x6e, 0x1a,
	0xea, 0xbe, 0x7b, 0xf2, 0x20, 0x81, 0xb9, 0xf3,
	0x6c, 0x7c, 0x28, 0x75, 0x30, 0xf9, 0x25, 0x10,
	0x31, 0x8f, 0x13, 0xa0, 0x3d, 0x89, 0xdc, 0x86,
};
static const uint8_t st_sig[X402_SIG_LEN] = {
	0xdc, 0x53, 0xa4, 0xa5, 0x79, 0xde, 0x98, 0x93,
	0x68, 0xa0, 0xfa, 0xe2, 0xef, 0x21, 0x72, 0xff,
	0x2f, 0x47, 0x4b, 0x42, 0x97, 0x01, 0x3f, 0x86,
	0x5d, 0x17, 0x12, 0x39, 0xf1, 0x7e, 0xf4, 0xc3,
	0x15, 0x7b, 0x4b, 0x40, 0x30, 0xf1, 0xbe, 0xbc,
	0x53, 0xd5, 0x5a, 0xce, 0x15, 0xc2, 0x37, 0x7d,
	0xff, 0x50, 0x1a, 0x60, 0xe1, 0xe5, 0x6c, 0x29,
	0x1f, 0x10, 0x00, 0xd6, 0xe7, 0x8f, 0x08, 0x2f,
	0x1b,
};
static const uint8_t st_addr[X402_ADDR_LEN] = {
	0xf3, 0x9f, 0xd6, 0xe5, 0x1a, 0xad, 0x88, 0xf6, 0xf4, 0xce,
	0x6a, 0xb8, 0x82, 0x72, 0x79, 0xcf, 0xff, 0xb9, 0x22, 0x66,
};

/* Fills p with n bytes from the kernel's random source.  0 or -1. */
static int
random_fill(uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t got = getrandom(p, n, 0);

		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += got;
		n -= (size_t)got;
	}
	return 0;
}

static int
is_zero32(const uint8_t *p)
{
	uint8_t acc = 0;
	int i;

	for (i = 0; i < 32; i++)
		acc |= p[i];
	return acc == 0;
}

/* The address of a parsed public key.  0 or X402_ERR_CRYPTO. */
static int
pubkey_to_address(const secp256k1_context *ctx, uint8_t addr[X402_ADDR_LEN],
    const secp256k1_pubkey *pk)
{
	uint8_t ser[65];
	size_t len = sizeof(ser);

	if (!secp256k1_ec_pubkey_serialize(ctx, ser, &len, pk,
	    SECP256K1_EC_UNCOMPRESSED) || len != sizeof(ser) || ser[0] != 0x04)
		return X402_ERR_CRYPTO;
	x402_sig_pubkey_address(addr, ser + 1);
	return 0;
}

static int
self_test(const struct x402_sig_ctx *c)
{
	uint8_t sig[X402_SIG_LEN], addr[X402_ADDR_LEN], kaddr[X402_ADDR_LEN];

	if (x402_sig_sign(c, sig, st_digest, st_key) != 0 ||
	    memcmp(sig, st_sig, sizeof(sig)) != 0)
		return X402_ERR_CRYPTO;
	if (x402_sig_recover(c, addr, st_digest, sig) != 0 ||
	    memcmp(addr, st_addr, sizeof(addr)) != 0)
		return X402_ERR_CRYPTO;
	if (x402_sig_key_address(c, kaddr, st_key) != 0 ||
	    memcmp(kaddr, st_addr, sizeof(kaddr)) != 0)
		return X402_ERR_CRYPTO;
	return 0;
}

int
x402_sig_ctx_new(struct x402_sig_ctx **out)
{
	struct x402_sig_ctx *c = NULL;
	uint8_t seed[32];
	int r;

	if (out == NULL)
		return X402_ERR_INVAL;
	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		r = X402_ERR_NOMEM;
		goto out;
	}
	if ((c->ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE)) ==
	    NULL) {
		r = X402_ERR_NOMEM;
		goto out;
	}
	if (random_fill(seed, sizeof(seed)) != 0) {
		r = X402_ERR_IO;
		goto out;
	}
	if (!secp256k1_context_randomize(c->ctx, seed)) {
		r = X402_ERR_CRYPTO;
		goto out;
	}
	if ((r = self_test(c)) != 0)
		goto out;
	*out = c;
	c = NULL;
	r = 0;
out:
	x402_wipe(seed, sizeof(seed));
	x402_sig_ctx_free(c);
	return r;
}

void
x402_sig_ctx_free(struct x402_sig_ctx *c)
{
	if (c == NULL)
		return;
	if (c->ctx != NULL)
		secp256k1_context_destroy(c->ctx);
	free(c);
}

int
x402_sig_recover(const struct x402_sig_ctx *c, uint8_t addr[X402_ADDR_LEN],
    const uint8_t digest[32], const uint8_t sig[X402_SIG_LEN])
{
	secp256k1_ecdsa_recoverable_signature rs;
	secp256k1_ecdsa_signature plain, norm;
	secp256k1_pubkey pk;
	int recid;

	if (c == NULL || addr == NULL || digest == NULL || sig == NULL)
		return X402_ERR_INVAL;
	switch (sig[64]) {
	case 0: case 1:
		recid = sig[64];
		break;
	case 27: case 28:
		recid = sig[64] - 27;
		break;
	default:
		return X402_ERR_SIG;
	}
	/* r = 0 or s = 0; parse_compact refuses r, s >= n itself. */
	if (is_zero32(sig) || is_zero32(sig + 32))
		return X402_ERR_SIG;
	if (!secp256k1_ecdsa_recoverable_signature_parse_compact(c->ctx, &rs,
	    sig, recid))
		return X402_ERR_SIG;
	/* High s: normalize returns 1 when it had to lower s. */
	if (!secp256k1_ecdsa_recoverable_signature_convert(c->ctx, &plain,
	    &rs))
		return X402_ERR_CRYPTO;
	if (secp256k1_ecdsa_signature_normalize(c->ctx, &norm, &plain))
		return X402_ERR_SIG;
	if (!secp256k1_ecdsa_recover(c->ctx, &pk, &rs, digest))
		return X402_ERR_SIG;
	return pubkey_to_address(c->ctx, addr, &pk);
}

int
x402_sig_sign(const struct x402_sig_ctx *c, uint8_t sig[X402_SIG_LEN],
    const uint8_t digest[32], const uint8_t seckey[X402_SECKEY_LEN])
{
	secp256k1_ecdsa_recoverable_signature rs;
	int recid = -1, r;

	if (c == NULL || sig == NULL || digest == NULL || seckey == NULL)
		return X402_ERR_INVAL;
	/* NULL nonce function = RFC 6979, which the KATs depend on. */
	if (!secp256k1_ecdsa_sign_recoverable(c->ctx, &rs, digest, seckey,
	    NULL, NULL)) {
		r = X402_ERR_CRYPTO;
		goto out;
	}
	if (!secp256k1_ecdsa_recoverable_signature_serialize_compact(c->ctx,
	    sig, &recid, &rs)) {
		r = X402_ERR_CRYPTO;
		goto out;
	}
	/* recid 2 and 3 (r >= n - p) cannot be written as v in {27, 28}. */
	if (recid != 0 && recid != 1) {
		r = X402_ERR_CRYPTO;
		goto out;
	}
	sig[64] = (uint8_t)(27 + recid);
	r = 0;
out:
	if (r != 0)
		x402_wipe(sig, X402_SIG_LEN);
	x402_wipe(&rs, sizeof(rs));
	return r;
}

int
x402_sig_key_address(const struct x402_sig_ctx *c,
    uint8_t addr[X402_ADDR_LEN], const uint8_t seckey[X402_SECKEY_LEN])
{
	secp256k1_pubkey pk;

	if (c == NULL || addr == NULL || seckey == NULL)
		return X402_ERR_INVAL;
	if (!secp256k1_ec_pubkey_create(c->ctx, &pk, seckey))
		return X402_ERR_CRYPTO;
	return pubkey_to_address(c->ctx, addr, &pk);
}

void
x402_sig_pubkey_address(uint8_t addr[X402_ADDR_LEN], const uint8_t pub[64])
{
	uint8_t h[X402_KECCAK256_LEN];

	x402_keccak256(h, pub, 64);
	memcpy(addr, h + sizeof(h) - X402_ADDR_LEN, X402_ADDR_LEN);
}

static int
is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* Parses the text of a key file into key.  0, SYNTAX or CRYPTO. */
static int
key_parse(const struct x402_sig_ctx *c, uint8_t key[X402_SECKEY_LEN],
    struct x402_detail *d, const char *path, const char *txt, size_t len)
{
	uint8_t tmp[X402_SECKEY_LEN];
	size_t n = 0;
	int r;

	while (len > 0 && is_space(txt[0])) {
		txt++;
		len--;
	}
	while (len > 0 && is_space(txt[len - 1]))
		len--;
	if (len >= 2 && txt[0] == '0' && (txt[1] == 'x' || txt[1] == 'X')) {
		txt += 2;
		len -= 2;
	}
	if (len != 2 * X402_SECKEY_LEN ||
	    x402_hex_decode(tmp, sizeof(tmp), &n, txt, len,
	    X402_HEX_PREFIX_NONE) != 0 || n != sizeof(tmp)) {
		r = x402_fail(d, X402_ERR_SYNTAX,
		    "%s: not a key (64 hex digits expected)", path);
		goto out;
	}
	if (!secp256k1_ec_seckey_verify(c->ctx, tmp)) {
		r = x402_fail(d, X402_ERR_CRYPTO,
		    "%s: not a valid secp256k1 key (zero or >= n)", path);
		goto out;
	}
	memcpy(key, tmp, sizeof(tmp));
	r = 0;
out:
	x402_wipe(tmp, sizeof(tmp));
	return r;
}

int
x402_sig_key_load(const struct x402_sig_ctx *c,
    uint8_t seckey[X402_SECKEY_LEN], struct x402_detail *d, const char *path)
{
	char buf[KEYFILE_MAX + 1];
	struct stat st;
	size_t len = 0;
	int fd = -1, r;

	if (c == NULL || seckey == NULL || path == NULL)
		return X402_ERR_INVAL;
	x402_wipe(seckey, X402_SECKEY_LEN);
	/* O_NONBLOCK: a FIFO must not hang the open; it is refused below. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ELOOP)
			r = x402_fail(d, X402_ERR_PERM,
			    "%s: is a symbolic link", path);
		else
			r = x402_fail(d, X402_ERR_IO, "%s: %s", path,
			    strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) != 0) {
		r = x402_fail(d, X402_ERR_IO, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = x402_fail(d, X402_ERR_PERM, "%s: not a regular file", path);
		goto out;
	}
	if ((st.st_mode & 077) != 0) {
		r = x402_fail(d, X402_ERR_PERM,
		    "%s: mode %04o lets group or others in (want 0600 or "
		    "0400)", path, (unsigned)(st.st_mode & 07777));
		goto out;
	}
	/* Read one byte past the cap to tell a full file from a long one. */
	while (len < sizeof(buf)) {
		ssize_t got = read(fd, buf + len, sizeof(buf) - len);

		if (got < 0) {
			if (errno == EINTR)
				continue;
			r = x402_fail(d, X402_ERR_IO, "%s: %s", path,
			    strerror(errno));
			goto out;
		}
		if (got == 0)
			break;
		len += (size_t)got;
	}
	if (len > KEYFILE_MAX) {
		r = x402_fail(d, X402_ERR_LIMIT,
		    "%s: longer than %d bytes, not a key file", path,
		    KEYFILE_MAX);
		goto out;
	}
	r = key_parse(c, seckey, d, path, buf, len);
out:
	if (fd >= 0)
		(void)close(fd);
	x402_wipe(buf, sizeof(buf));
	if (r != 0)
		x402_wipe(seckey, X402_SECKEY_LEN);
	return r;
}

int
x402_sig_key_generate(const struct x402_sig_ctx *c,
    uint8_t seckey[X402_SECKEY_LEN])
{
	int i;

	if (c == NULL || seckey == NULL)
		return X402_ERR_INVAL;
	for (i = 0; i < KEYGEN_TRIES; i++) {
		if (random_fill(seckey, X402_SECKEY_LEN) != 0) {
			x402_wipe(seckey, X402_SECKEY_LEN);
			return X402_ERR_IO;
		}
		if (secp256k1_ec_seckey_verify(c->ctx, seckey))
			return 0;
	}
	x402_wipe(seckey, X402_SECKEY_LEN);
	return X402_ERR_CRYPTO;
}
