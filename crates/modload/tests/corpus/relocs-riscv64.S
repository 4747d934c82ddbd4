/* Every riscv64 relocation type the engine handles that the assembler
 * emits, written out (the compilers emit only some of them). Imports named
 * small_<hex> are bound to that value by the tests; the others near the
 * image (within ±2 GiB: this file is linked in the medany model). */
	.option	norelax
	.text
	.globl	asm_entry
	.type	asm_entry, @function
asm_entry:
	call	ext_func			/* CALL_PLT */
1:	auipc	ra, 0				/* CALL */
	jalr	ra, 0(ra)
	.reloc	1b, R_RISCV_CALL, ext_func
	jal	other_text			/* JAL */
	beq	a0, a1, other_text		/* BRANCH */
	c.beqz	a0, asm_entry			/* RVC_BRANCH */
	c.j	asm_entry			/* RVC_JUMP */
	lui	a0, %hi(small_12345678)		/* HI20 */
	addi	a0, a0, %lo(small_12345678)	/* LO12_I */
	sw	a0, %lo(small_12345678)(a1)	/* LO12_S */
	.reloc	., R_RISCV_RVC_LUI, small_1f000	/* RVC_LUI */
	c.lui	a4, 1
2:	auipc	a2, %pcrel_hi(ext_data)		/* PCREL_HI20 */
	addi	a2, a2, %pcrel_lo(2b)		/* PCREL_LO12_I */
	sd	a2, %pcrel_lo(2b)(a2)		/* PCREL_LO12_S */
3:	auipc	a3, %got_pcrel_hi(ext_data)	/* GOT_HI20 */
	ld	a3, %pcrel_lo(3b)(a3)
4:	auipc	a3, %pcrel_hi(words + 8)
	ld	a3, %pcrel_lo(4b)(a3)
	tail	ext_func2			/* CALL_PLT */

	.section .text.other, "ax", @progbits
	.type	other_text, @function
other_text:
	ret

	.section .rodata
	.balign	8
words:	.quad	1, 2, 3, 4

	.data
	.balign	8
	.quad	ext_data + 8			/* 64 */
	.word	small_12345678			/* 32 */
	.word	ext_func - .			/* 32_PCREL */
	.quad	other_text - asm_entry		/* ADD64 + SUB64 */
	.word	other_text - asm_entry		/* ADD32 + SUB32 */
	.half	other_text - asm_entry		/* ADD16 + SUB16 */
	.byte	other_text - asm_entry		/* ADD8 + SUB8 */
	.reloc	., R_RISCV_SET6, other_text	/* SET6 + SUB6 */
	.reloc	., R_RISCV_SUB6, asm_entry
	.byte	0xc0
	.reloc	., R_RISCV_SET8, other_text	/* SET8 */
	.byte	0
	.reloc	., R_RISCV_SET16, other_text	/* SET16 */
	.half	0
	.reloc	., R_RISCV_SET32, other_text	/* SET32 */
	.word	0
