/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What kernel code jumps to without a C prototype: the thunks and
 * trampolines the compiler and the kernel's headers emit calls to, the
 * paravirt callee-save operations, the user-access helpers with their own
 * register conventions, and the two ways out to the host (hostcall,
 * syscall). Plain assembly, no objtool (see Kbuild).
 */

#define FUNC(name) .globl name; .type name, @function; .p2align 4; name:
#define END(name) .size name, . - name;

	.text

/* kapi_hostcall(fn, a, b, c, d, e): call the host's fn(a..e) on a 16-byte
 * aligned stack (kernel code is built with -mpreferred-stack-boundary=3). */
FUNC(kapi_hostcall)
	push	%rbp
	mov	%rsp, %rbp
	and	$-16, %rsp
	mov	%rdi, %rax
	mov	%rsi, %rdi
	mov	%rdx, %rsi
	mov	%rcx, %rdx
	mov	%r8, %rcx
	mov	%r9, %r8
	call	*%rax
	leave
	ret
END(kapi_hostcall)

/* kapi_syscall(nr, a, b, c, d, e) */
FUNC(kapi_syscall)
	mov	%rdi, %rax
	mov	%rsi, %rdi
	mov	%rdx, %rsi
	mov	%rcx, %rdx
	mov	%r8, %r10
	mov	%r9, %r8
	syscall
	ret
END(kapi_syscall)

/* -mfunction-return=thunk-extern and the function tracer's entry hook */
FUNC(__x86_return_thunk)
	ret
	int3
END(__x86_return_thunk)

FUNC(__fentry__)
	ret
END(__fentry__)

/* Retpoline thunks (-mindirect-branch=thunk-extern): a plain indirect jump;
 * the ITS variants likewise. */
#define THUNK(reg) \
FUNC(__x86_indirect_thunk_##reg) jmp *%reg; int3; END(__x86_indirect_thunk_##reg) \
FUNC(__x86_indirect_its_thunk_##reg) jmp *%reg; int3; END(__x86_indirect_its_thunk_##reg) \
FUNC(__x86_indirect_call_thunk_##reg) jmp *%reg; int3; END(__x86_indirect_call_thunk_##reg) \
FUNC(__x86_indirect_jump_thunk_##reg) jmp *%reg; int3; END(__x86_indirect_jump_thunk_##reg)
THUNK(rax)
THUNK(rbx)
THUNK(rcx)
THUNK(rdx)
THUNK(rsi)
THUNK(rdi)
THUNK(rbp)
THUNK(r8)
THUNK(r9)
THUNK(r10)
THUNK(r11)
THUNK(r12)
THUNK(r13)
THUNK(r14)
THUNK(r15)

/* Static-call trampolines of the preemption and rescheduling hooks: a sim
 * thread is never preempted by the sim kernel. */
FUNC(__SCT__preempt_schedule)
FUNC(__SCT__preempt_schedule_notrace)
FUNC(__SCT__preempt_schedule_thunk)
FUNC(__SCT__preempt_schedule_notrace_thunk)
FUNC(preempt_schedule_thunk)
FUNC(preempt_schedule_notrace_thunk)
FUNC(__SCT__might_resched)
FUNC(__SCT__cond_resched)
	xor	%eax, %eax
	ret
END(__SCT__cond_resched)

/* Paravirt callee-save operations: only %rax may change. Interrupts are
 * always "enabled" in a sim thread. */
FUNC(kapi_pv_save_fl)
	mov	$0x200, %eax
	ret
END(kapi_pv_save_fl)
FUNC(kapi_pv_nop)
	ret
END(kapi_pv_nop)
FUNC(kapi_pv_spin_unlock)
	movb	$0, (%rdi)
	ret
END(kapi_pv_spin_unlock)
FUNC(kapi_pv_false)
	xor	%eax, %eax
	ret
END(kapi_pv_false)

/* get_user: address in %rax; value in %rdx, error in %rax. */
#define GET(n, ...) \
FUNC(__get_user_##n) __VA_ARGS__; xor %eax, %eax; ret; END(__get_user_##n) \
FUNC(__get_user_nocheck_##n) __VA_ARGS__; xor %eax, %eax; ret; END(__get_user_nocheck_##n)
GET(1, movzbl (%rax), %edx)
GET(2, movzwl (%rax), %edx)
GET(4, movl (%rax), %edx)
GET(8, movq (%rax), %rdx)

/* put_user: value in %rax, address in %rcx; error in %ecx. */
#define PUT(n, ...) \
FUNC(__put_user_##n) __VA_ARGS__; xor %ecx, %ecx; ret; END(__put_user_##n) \
FUNC(__put_user_nocheck_##n) __VA_ARGS__; xor %ecx, %ecx; ret; END(__put_user_nocheck_##n)
PUT(1, movb %al, (%rcx))
PUT(2, movw %ax, (%rcx))
PUT(4, movl %eax, (%rcx))
PUT(8, movq %rax, (%rcx))

/* 6.1's user copies: to %rdi, from %rsi, %edx bytes; uncopied in %eax. */
FUNC(copy_user_generic_unrolled)
FUNC(copy_user_generic_string)
FUNC(copy_user_enhanced_fast_string)
FUNC(copy_user_fast_string)
	mov	%edx, %ecx
	rep movsb
	xor	%eax, %eax
	ret
END(copy_user_generic_unrolled)

/* 6.12's: to %rdi, from %rsi, %rcx bytes; uncopied in %rcx. */
FUNC(rep_movs_alternative)
	rep movsb
	ret
END(rep_movs_alternative)
FUNC(rep_stos_alternative)
	push	%rax
	xor	%eax, %eax
	rep stosb
	pop	%rax
	ret
END(rep_stos_alternative)

/* clear_user's 6.1 helper: %rdi address, %rcx bytes; left in %rcx */
FUNC(clear_user_original)
FUNC(clear_user_rep_good)
FUNC(clear_user_erms)
	push	%rax
	xor	%eax, %eax
	rep stosb
	pop	%rax
	ret
END(clear_user_original)

/* hweight: argument in %rdi, result in %rax, every other register kept */
FUNC(__sw_hweight32)
	popcnt	%edi, %eax
	ret
END(__sw_hweight32)
FUNC(__sw_hweight64)
	popcnt	%rdi, %rax
	ret
END(__sw_hweight64)

	.section .note.GNU-stack, "", @progbits
