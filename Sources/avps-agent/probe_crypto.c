/* crypto.cipher: AES-128-CBC through AF_ALG bound to the virtio-crypto
 * driver by its driver name, checked against NIST SP 800-38A F.2.1/F.2.2. */
#include "probe.h"

#include <errno.h>
#include <linux/if_alg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef AF_ALG
#define AF_ALG 38
#endif
#ifndef SOL_ALG
#define SOL_ALG 279
#endif

#define DRIVER "virtio_crypto_aes_cbc"

static const unsigned char KEY[16] = {0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6,
                                      0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c};
static const unsigned char PLAIN[16] = {0x6b, 0xc1, 0xbe, 0xe2, 0x2e, 0x40, 0x9f, 0x96,
                                        0xe9, 0x3d, 0x7e, 0x11, 0x73, 0x93, 0x17, 0x2a};
static const unsigned char CIPHER[16] = {0x76, 0x49, 0xab, 0xac, 0x81, 0x19, 0xb2, 0x46,
                                         0xce, 0xe9, 0x8e, 0x9b, 0x12, 0xe9, 0x19, 0x7d};

static bool registered(void)
{
    char line[256];
    bool found = false;
    FILE *f = fopen("/proc/crypto", "re");
    while (f && !found && fgets(line, sizeof line, f))
        found = strncmp(line, "driver", 6) == 0 && strstr(line, ": " DRIVER "\n") != NULL;
    if (f)
        fclose(f);
    return found;
}

/* One operation on an accepted AF_ALG socket: op, IV 00..0f, 16 bytes in, 16 out. */
static bool run_op(int op_fd, int op, const unsigned char *in, unsigned char *out)
{
    char cbuf[CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(struct af_alg_iv) + 16)];
    memset(cbuf, 0, sizeof cbuf);
    struct iovec iov = {(void *)in, 16};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_ALG;
    c->cmsg_type = ALG_SET_OP;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &op, sizeof op);
    c = CMSG_NXTHDR(&msg, c);
    c->cmsg_level = SOL_ALG;
    c->cmsg_type = ALG_SET_IV;
    c->cmsg_len = CMSG_LEN(sizeof(struct af_alg_iv) + 16);
    struct af_alg_iv *iv = (struct af_alg_iv *)CMSG_DATA(c);
    iv->ivlen = 16;
    for (int i = 0; i < 16; i++)
        iv->iv[i] = (unsigned char)i;
    return sendmsg(op_fd, &msg, 0) == 16 && read(op_fd, out, 16) == 16;
}

probe_status_t probe_crypto_cipher(probe_env_t *env)
{
    bool reg = registered();
    fact_bool(env, "driver_registered", reg);
    fact_string(env, "driver", DRIVER);
    if (!reg)
        return probe_unavailable(env, "%s is not in /proc/crypto (virtio_crypto not bound?)", DRIVER);
    int tfm = socket(AF_ALG, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (tfm < 0)
        return probe_unavailable(env, "AF_ALG socket: %s (algif_skcipher not loaded?)", strerror(errno));
    struct sockaddr_alg sa = {.salg_family = AF_ALG, .salg_type = "skcipher", .salg_name = DRIVER};
    if (bind(tfm, (struct sockaddr *)&sa, sizeof sa) != 0) {
        int e = errno;
        close(tfm);
        return probe_unavailable(env, "AF_ALG bind skcipher %s: %s", DRIVER, strerror(e));
    }
    if (setsockopt(tfm, SOL_ALG, ALG_SET_KEY, KEY, sizeof KEY) != 0) {
        int e = errno;
        close(tfm);
        /* virtio_crypto creates its session on the device here: a refusal is the platform's */
        fact_errno(env, "setkey_error", "ALG_SET_KEY (device session)", e);
        fact_fault(env, "ALG_SET_KEY: %s", strerror(e));
        return PROBE_OK;
    }
    int op = accept4(tfm, NULL, 0, SOCK_CLOEXEC);
    if (op < 0) {
        int e = errno;
        close(tfm);
        return probe_error(env, "AF_ALG accept: %s", strerror(e));
    }
    unsigned char enc[16], dec[16];
    errno = 0;
    bool e_ok = run_op(op, ALG_OP_ENCRYPT, PLAIN, enc);
    fact_bool(env, "encrypt_ok", e_ok);
    if (!e_ok)
        fact_errno(env, "encrypt_error", "encrypt", errno);
    fact_bool(env, "known_answer_ok", e_ok && memcmp(enc, CIPHER, 16) == 0);
    bool d_ok = run_op(op, ALG_OP_DECRYPT, CIPHER, dec);
    fact_bool(env, "decrypt_ok", d_ok && memcmp(dec, PLAIN, 16) == 0);
    close(op);
    close(tfm);
    return PROBE_OK;
}
