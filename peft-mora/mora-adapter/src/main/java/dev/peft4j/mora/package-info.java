/**
 * MoRA, high-rank updating with a square matrix (docs/math.md §4), as a peft4j plugin: the {@code mora}
 * adapter ({@link dev.peft4j.mora.MoraFactory}, {@link dev.peft4j.mora.MoraAdapter}), its options
 * and rank rules, and the helpers compression operators are built from ({@link
 * dev.peft4j.mora.MoraOps}, {@link dev.peft4j.mora.BlockLayout}, {@link
 * dev.peft4j.mora.OfficialDomain}). The operators themselves are separate plugins.
 */
package dev.peft4j.mora;
