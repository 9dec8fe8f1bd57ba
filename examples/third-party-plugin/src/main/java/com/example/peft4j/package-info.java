/**
 * An example third-party peft4j plugin, built against {@code peft-spi} alone: the adapter method
 * {@code lora-rowscale} ({@link com.example.peft4j.RowScaledLoraFactory}, LoRA with a learned
 * per-row scale) and the MoRA compression operator {@code strided} ({@link
 * com.example.peft4j.StridedOperator}). Drop its jar into a directory and load it with {@code
 * Plugins.load(dir)} or {@code peft4j --plugins DIR}.
 */
package com.example.peft4j;
