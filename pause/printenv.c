/*
 * printenv [NAME...]: the coreutils tool the Kubernetes docs' examples run, for the busybox toolbox, whose Debian
 * build has no such applet. No NAME: every variable, one NAME=value a line. With names: each value that is set, one
 * a line, in the order asked; the exit code is 1 when one of them is not set, 0 otherwise.
 */
#include <string.h>
#include <unistd.h>

extern char **environ;

static int put(const char *s)
{
	size_t n = strlen(s);
	return write(1, s, n) == (ssize_t)n && write(1, "\n", 1) == 1 ? 0 : 2;
}

int main(int argc, char **argv)
{
	int missing = 0;
	if (argc == 1) {
		for (char **e = environ; *e; e++)
			if (put(*e)) return 2;
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		size_t n = strlen(argv[i]);
		char **e = environ;
		while (*e && !(strncmp(*e, argv[i], n) == 0 && (*e)[n] == '='))
			e++;
		if (!*e || strchr(argv[i], '=')) {
			missing = 1;
			continue;
		}
		if (put(*e + n + 1)) return 2;
	}
	return missing;
}
