/*
 * bench_payout - aggregation speed of x402-payout: receipts counted from
 * the spool into the ledger per second, and the worker's peak memory.
 *
 *   ./bench/bench_payout PATH/TO/x402-payout [TOTAL [PER_RUN [DIR]]]
 *   defaults: TOTAL 1000000, PER_RUN 100000, DIR /dev/shm (tmpfs)
 *
 * Writes PER_RUN receipts (3 routes, 2 split rules, 3 payees) into a
 * spool, runs `x402-payout run` on it (the minimum payout is set out of
 * reach so nothing is paid and no chain is needed), and repeats until
 * TOTAL receipts are counted.  Only the runs are timed; peak memory is
 * the child's ru_maxrss.  The spool is written in rounds so that a tmpfs
 * never holds more than PER_RUN receipt files at once, and synced before
 * each run (the gate fsyncs every record it writes).  The child's CPU
 * time (user and system, from wait4) is printed too: on a loaded machine
 * it says more than the wall-clock rate.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WALLET "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720"	/* anvil #9 */
#define KEY "2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6"
#define USDC "0x036CbD53842c5426634e7929541eC2318f3dCF7e"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
put(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
	chmod(path, mode);
}

static void
gen(const char *spool, unsigned long first, unsigned long n)
{
	static const char *routes[] = { "ocr", "tts", "misc" };
	char path[1024], buf[1024];
	unsigned long i;
	int fd, len;

	for (i = first; i < first + n; i++) {
		snprintf(path, sizeof(path), "%s/new/%lu.1.%016lx", spool,
		    1700000000 + i / 1000, i);
		len = snprintf(buf, sizeof(buf), "{\"receipt\":1,\"id\":\"\","
		    "\"route\":\"%s\",\"time\":%lu,\"x402Version\":2,"
		    "\"scheme\":\"exact\",\"network\":\"eip155:84532\","
		    "\"asset\":\"" USDC "\",\"payer\":\"0x00000000000000000000"
		    "00000000000000000001\",\"payTo\":\"" WALLET "\","
		    "\"amount\":\"%lu\",\"maxAmount\":\"%lu\",\"nonce\":"
		    "\"0x%064lx\",\"transaction\":\"0x%064lx\",\"resource\":"
		    "\"https://x.test/ocr\"}", routes[i % 3],
		    1700000000 + i * 10, 1000 + i % 9000, 1000 + i % 9000, i,
		    i);
		if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0640)) < 0 ||
		    write(fd, buf, (size_t)len) != len || close(fd) != 0) {
			perror(path);
			exit(1);
		}
	}
}

int
main(int argc, char *argv[])
{
	const char *prog, *base;
	unsigned long total, per, done = 0;
	char dir[200], p[512], conf[2048];
	double t0, spent = 0, user = 0, sys = 0;
	long peak = 0, first_peak = 0;
	struct rusage ru;
	int status;
	pid_t pid;

	if (argc < 2) {
		fprintf(stderr, "usage: bench_payout X402-PAYOUT [TOTAL "
		    "[PER_RUN [DIR]]]\n");
		return 2;
	}
	prog = argv[1];
	total = argc > 2 ? strtoul(argv[2], NULL, 10) : 1000000;
	per = argc > 3 ? strtoul(argv[3], NULL, 10) : 100000;
	base = argc > 4 ? argv[4] : "/dev/shm";
	snprintf(dir, sizeof(dir), "%s/bench_payout.%ld", base, (long)getpid());
	mkdir(dir, 0700);
	snprintf(p, sizeof(p), "%s/key", dir);
	put(p, KEY "\n", 0600);
	snprintf(p, sizeof(p), "%s/spool", dir);
	mkdir(p, 0770);
	snprintf(p, sizeof(p), "%s/spool/new", dir);
	mkdir(p, 0770);
	snprintf(conf, sizeof(conf), "[payout]\nwallet = " WALLET "\n"
	    "key = %s/key\nspool = %s/spool\nstate = %s/state\n"
	    "network = eip155:84532\nrpc = http://127.0.0.1:9\nverify = none\n"
	    "minimum = 18446744073709551615\ndefault_split = main\n"
	    "[payee a]\naddress = 0x1111111111111111111111111111111111111111\n"
	    "[payee b]\naddress = 0x2222222222222222222222222222222222222222\n"
	    "[payee c]\naddress = 0x3333333333333333333333333333333333333333\n"
	    "[split main]\nshares = retain:10%% a:30%% b:30%% c:30%%\n"
	    "[split duo]\nshares = retain:0.5%% a:49.75%% c:49.75%%\n"
	    "[route tts]\nsplit = duo\n", dir, dir, dir);
	snprintf(p, sizeof(p), "%s/payout.conf", dir);
	put(p, conf, 0644);
	while (done < total) {
		unsigned long n = total - done < per ? total - done : per;

		snprintf(p, sizeof(p), "%s/spool", dir);
		gen(p, done, n);
		sync();	/* a writer fsyncs each record: time none of that */
		t0 = now();
		if ((pid = fork()) == 0) {
			snprintf(p, sizeof(p), "%s/payout.conf", dir);
			execl(prog, prog, "-c", p, "run", (char *)NULL);
			_exit(127);
		}
		if (wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0) {
			fprintf(stderr, "x402-payout run failed (status %d)\n",
			    status);
			return 1;
		}
		spent += now() - t0;
		user += (double)ru.ru_utime.tv_sec +
		    (double)ru.ru_utime.tv_usec / 1e6;
		sys += (double)ru.ru_stime.tv_sec +
		    (double)ru.ru_stime.tv_usec / 1e6;
		if (first_peak == 0)
			first_peak = ru.ru_maxrss;
		if (ru.ru_maxrss > peak)
			peak = ru.ru_maxrss;
		done += n;
		printf("run %2lu: %7lu receipts in %.3f s (%.0f/s), peak RSS "
		    "%ld KiB\n", done / per, n, now() - t0,
		    (double)n / (now() - t0), ru.ru_maxrss);
	}
	printf("total: %lu receipts aggregated in %.2f s: %.0f receipts/s; "
	    "peak RSS %ld KiB (first run %ld KiB)\n", total, spent,
	    (double)total / spent, peak, first_peak);
	printf("cpu: %.2f s user + %.2f s system = %.2f us per receipt "
	    "(%.0f receipts per CPU second)\n", user, sys,
	    (user + sys) * 1e6 / (double)total, (double)total / (user + sys));
	snprintf(p, sizeof(p), "rm -rf '%s'", dir);
	return system(p) == 0 ? 0 : 1;
}
