/**
 * Fine-tuning data for causal language models: JSONL files read into tokenized {@link
 * dev.peft4j.train.data.TrainingExample}s with their loss targets ({@link
 * dev.peft4j.train.data.JsonlData}), and padded, length-grouped {@link dev.peft4j.train.data.Batch}es
 * of them per epoch ({@link dev.peft4j.train.data.Batches}).
 */
package dev.peft4j.train.data;
