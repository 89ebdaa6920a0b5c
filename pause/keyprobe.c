/*
 * keyprobe: tries the kernel keyring calls Docker's seccomp profile denies (keyctl, add_key, request_key), one line
 * each: "NAME: ok" or "NAME: <the error>". Exit 0 when all three worked, 1 otherwise. The suite copies it into a
 * container to see what its filter lets through (busybox has no keyctl).
 */
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* <linux/keyctl.h>'s values: musl ships no kernel headers. */
#define KEYCTL_GET_KEYRING_ID 0
#define KEY_SPEC_PROCESS_KEYRING (-2)

static int report(const char *name, long r)
{
	const char *said = r < 0 ? strerror(errno) : "ok";
	if (write(1, name, strlen(name)) < 0 || write(1, ": ", 2) < 0 || write(1, said, strlen(said)) < 0 || write(1, "\n", 1) < 0)
		return 1;
	return r < 0;
}

int main(void)
{
	int failed = 0;
	failed |= report("keyctl", syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_PROCESS_KEYRING, 1));
	failed |= report("add_key", syscall(SYS_add_key, "user", "nspod-keyprobe", "x", 1, KEY_SPEC_PROCESS_KEYRING));
	failed |= report("request_key", syscall(SYS_request_key, "user", "nspod-keyprobe", (char *)0, 0));
	return failed;
}
