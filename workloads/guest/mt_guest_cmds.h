/* mt_guest_cmds.h — subcommands of mt-guest living outside mt-guest.c (guest stress:
 * mt_guest_dirty.c, mt_guest_load.c). Each takes argv and the index of its first option and
 * returns the exit code. */
#ifndef MT_GUEST_CMDS_H
#define MT_GUEST_CMDS_H

#include <stdint.h>

int mtg_cmd_dirty(int argc, char **argv, int from);
int mtg_cmd_dirty_status(int argc, char **argv, int from);
int mtg_cmd_verify(int argc, char **argv, int from);
int mtg_cmd_stop(int argc, char **argv, int from);
int mtg_cmd_cpu(int argc, char **argv, int from);
/* mt_guest_disk.c: the disk latency probe and the disk pattern check */
int mtg_cmd_disk(int argc, char **argv, int from);
int mtg_cmd_disk_status(int argc, char **argv, int from);
int mtg_cmd_disk_stop(int argc, char **argv, int from);
int mtg_cmd_disk_fill(int argc, char **argv, int from);
int mtg_cmd_disk_sum(int argc, char **argv, int from);

/* "64M", "1G", "100M/s" → bytes (K/M/G are 1024-based). 0 or -1. */
int mtg_parse_size(const char *s, uint64_t *out);
/* The checksum verify compares (64-bit, over one 4 KiB page). */
uint64_t mtg_page_sum(const void *page, uint64_t pageno);

#endif
