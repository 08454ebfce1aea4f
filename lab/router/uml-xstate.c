/* uml-xstate.c — preloaded into Debian's User-Mode Linux (linux.uml 6.1) by mt-lab, so that
 * the lab's router boots on hosts whose XSAVE area is larger than UML's register buffer.
 *
 * UML restores a process's FPU state with PTRACE_SETREGSET(NT_X86_XSTATE) from an 832-byte
 * buffer (legacy area, header, AVX). The host kernel takes only a whole XSAVE buffer of its own
 * size and refuses anything else with EFAULT; with AMX (its tile data) that size is 11008
 * bytes here, so UML's first switch to init fails ("userspace - ptrace set fp regs failed,
 * errno = 14"), init dies and UML panics (docs/lab.md). Reading the state, partially, works.
 *
 * So a short SETREGSET becomes a whole one: the tracee's current state is read in full, UML's
 * bytes laid over its head, and the whole written back. What lies past UML's bytes (AVX-512,
 * AMX) stays the tracee's own, as a host process of UML runs one address space. Every other
 * ptrace call goes to libc's unchanged.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* RTLD_NEXT */
#endif
#include <dlfcn.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/uio.h>

#define NT_X86_XSTATE_NOTE 0x202
#define XSTATE_MAX (64 * 1024) /* above any XSAVE area the kernel reports (AMX: ~11 KiB) */

typedef long (*ptrace_fn)(enum __ptrace_request, pid_t, void *, void *);

long ptrace(enum __ptrace_request req, ...)
{
	static ptrace_fn real;
	/* UML calls ptrace from one thread at a time (its kernel runs one thread). */
	static unsigned char whole[XSTATE_MAX] __attribute__((aligned(64)));
	static size_t host_size;
	va_list ap;
	pid_t pid;
	void *addr, *data;

	va_start(ap, req);
	pid = va_arg(ap, pid_t);
	addr = va_arg(ap, void *);
	data = va_arg(ap, void *);
	va_end(ap);
	if (!real)
		real = (ptrace_fn)dlsym(RTLD_NEXT, "ptrace");
	if (req == PTRACE_SETREGSET && (unsigned long)addr == NT_X86_XSTATE_NOTE && data) {
		const struct iovec *part = data;
		struct iovec full = { whole, sizeof(whole) };

		/* the host's size, learnt once: where UML's buffer holds it, nothing changes */
		if (host_size && part->iov_len >= host_size)
			return real(req, pid, addr, data);
		if (real(PTRACE_GETREGSET, pid, addr, &full) == 0) {
			host_size = full.iov_len;
			if (full.iov_len > part->iov_len) {
				memcpy(whole, part->iov_base, part->iov_len);
				return real(PTRACE_SETREGSET, pid, addr, &full);
			}
		}
	}
	return real(req, pid, addr, data);
}
