/* diskwrite SRC DSTDIR: the disk ceiling of a pull (bench/run.sh). Copies SRC (read from the page
 * cache: the bench reads it once before) into a new temporary file in DSTDIR exactly as winch's
 * layout writer stores a blob (lib/layout.c lay_blob_write): 256 KiB writes, sync_file_range(WRITE)
 * every 8 MiB so writeback starts while data arrives, fsync and close at the end, then rename.
 * Prints the seconds from the first write to the rename. No hashing, no network: the disk alone. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define READ_CHUNK (256u << 10)
#define WRITEBACK_STEP (8u << 20)

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: diskwrite SRC DSTDIR\n");
		return 2;
	}
	char tmp[4096], dst[4096];
	snprintf(tmp, sizeof(tmp), "%s/diskwrite-XXXXXX", argv[2]);
	snprintf(dst, sizeof(dst), "%s/diskwrite.out", argv[2]);
	static unsigned char buf[READ_CHUNK];
	int in = open(argv[1], O_RDONLY), fd = mkstemp(tmp);
	if (in < 0 || fd < 0) {
		perror("diskwrite");
		return 1;
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	unsigned long long written = 0, flushed = 0;
	for (;;) {
		ssize_t n = read(in, buf, READ_CHUNK);
		if (n < 0) {
			perror("diskwrite: read");
			return 1;
		}
		if (!n)
			break;
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(fd, buf + off, (size_t)(n - off));
			if (w < 0) {
				perror("diskwrite: write");
				return 1;
			}
			off += w;
		}
		written += (unsigned long long)n;
		if (written - flushed >= WRITEBACK_STEP) {
			sync_file_range(fd, (off_t)flushed, (off_t)(written - flushed), SYNC_FILE_RANGE_WRITE);
			flushed = written;
		}
	}
	if (fsync(fd) || close(fd) || rename(tmp, dst)) {
		perror("diskwrite: fsync");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%.4f\n", (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	unlink(dst);
	return 0;
}
