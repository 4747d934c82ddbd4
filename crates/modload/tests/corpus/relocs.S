/* Relocation types C does not produce: 8/16-bit fields, PC8/PC16, PC64,
 * SIZE32/SIZE64, and 32/32S/64 with addends, against imports whose
 * addresses the test chooses (small_<hex> is bound to that value). */
	.text
	.globl	asm_entry
	.type	asm_entry, @function
asm_entry:
	movl	$small_7f, %eax
	movq	$small_7fff, %rax
	jmp	1f
	.skip	40, 0x90
1:	ret
	.size	asm_entry, .-asm_entry

	.data
	.globl	small_fields
small_fields:
	.byte	small_7f
	.byte	small_ff
	.word	small_7fff
	.word	small_ffff
	.byte	rodata_tail - .
	.word	rodata_tail - .
	.long	small_7f + 0x10
	.quad	asm_entry - .
	.quad	far_import + 0x1234
	.long	asm_entry@SIZE
	.quad	asm_entry@SIZE + 8
	.long	small_7fff
	.quad	0

	/* Ends just below the page where .data starts (text is under a page),
	 * so the PC8/PC16 fields above reach it. */
	.section .rodata.tail, "a"
	.skip	4090
	.globl	rodata_tail
rodata_tail:
	.byte	1
