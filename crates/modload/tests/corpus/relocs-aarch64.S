/* Every aarch64 relocation type the engine handles, written out (the
 * compilers emit only some of them). Imports named small_<hex> are bound
 * to that value by the tests; the others near the image. */
	.text
	.globl	asm_entry
	.type	asm_entry, %function
asm_entry:
	bl	ext_func			/* CALL26 */
	b.eq	other_text			/* CONDBR19 */
	cbz	x0, other_text			/* CONDBR19 */
	tbz	x1, #3, other_text		/* TSTBR14 */
	adr	x3, other_text			/* ADR_PREL_LO21 */
	ldr	x4, lit				/* LD_PREL_LO19 (same section: folded) */
	ldr	x4, other_lit			/* LD_PREL_LO19 */
	adrp	x0, ext_data			/* ADR_PREL_PG_HI21 */
	add	x0, x0, :lo12:ext_data		/* ADD_ABS_LO12_NC */
	adrp	x5, :pg_hi21_nc:ext_data	/* ADR_PREL_PG_HI21_NC */
	adrp	x1, words
	ldrb	w2, [x1, :lo12:words]		/* LDST8_ABS_LO12_NC */
	ldrh	w2, [x1, :lo12:words + 2]	/* LDST16_ABS_LO12_NC */
	ldr	w2, [x1, :lo12:words + 4]	/* LDST32_ABS_LO12_NC */
	ldr	x2, [x1, :lo12:words + 8]	/* LDST64_ABS_LO12_NC */
	ldr	q0, [x1, :lo12:words + 16]	/* LDST128_ABS_LO12_NC */
	movz	x6, #:abs_g0:small_1234		/* MOVW_UABS_G0 */
	movz	x6, #:abs_g1:small_12345678	/* MOVW_UABS_G1 */
	movz	x6, #:abs_g2:small_123456789abc	/* MOVW_UABS_G2 */
	movz	x7, #:abs_g3:ext_data		/* MOVW_UABS_G3 */
	movk	x7, #:abs_g2_nc:ext_data	/* MOVW_UABS_G2_NC */
	movk	x7, #:abs_g1_nc:ext_data	/* MOVW_UABS_G1_NC */
	movk	x7, #:abs_g0_nc:ext_data	/* MOVW_UABS_G0_NC */
	movz	x8, #:abs_g0_s:small_fffffffffffffff0	/* MOVW_SABS_G0 (negative: movn) */
	movz	x8, #:abs_g1_s:small_12345678	/* MOVW_SABS_G1 */
	movz	x8, #:abs_g2_s:small_ffff876543210000	/* MOVW_SABS_G2 */
	movz	x9, #:prel_g0:other_text	/* MOVW_PREL_G0 */
	movk	x9, #:prel_g0_nc:ext_data	/* MOVW_PREL_G0_NC */
	movz	x9, #:prel_g1:ext_data		/* MOVW_PREL_G1 */
	movk	x9, #:prel_g1_nc:ext_data	/* MOVW_PREL_G1_NC */
	movz	x9, #:prel_g2:ext_data		/* MOVW_PREL_G2 */
	movk	x9, #:prel_g2_nc:ext_data	/* MOVW_PREL_G2_NC */
	movz	x9, #:prel_g3:ext_data		/* MOVW_PREL_G3 */
	adrp	x10, :got:ext_data		/* ADR_GOT_PAGE */
	ldr	x10, [x10, :got_lo12:ext_data]	/* LD64_GOT_LO12_NC */
	adrp	x10, :got:ext_func
	ldr	x10, [x10, :got_lo12:ext_func]
	b	ext_func2			/* JUMP26 */
lit:	.xword	0

	.section .text.other, "ax", %progbits
	.type	other_text, %function
other_text:
	ret
other_lit:
	.xword	ext_data

	.section .rodata
	.balign	16
words:	.quad	1, 2, 3, 4

	.data
	.balign	8
	.xword	ext_data + 8			/* ABS64 */
	.word	small_12345678			/* ABS32 */
	.hword	small_1234			/* ABS16 */
	.hword	words - .			/* PREL16 */
	.xword	ext_func - .			/* PREL64 */
	.word	ext_func - . + 4		/* PREL32 */
	.xword	other_text
