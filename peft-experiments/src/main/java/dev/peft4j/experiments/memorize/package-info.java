/**
 * The MoRA paper's memorization experiment (arXiv 2405.12130, §3, Table 2) as a library: methods
 * learn N random UUID → UUID pairs ({@link dev.peft4j.experiments.memorize.UuidPairs}) at the same
 * trainable-parameter budget, on a small synthetic network ({@link
 * dev.peft4j.experiments.memorize.MemorizeRun}) or a pretrained causal language model as key →
 * value text ({@link dev.peft4j.experiments.memorize.PretrainedMemorizeRun}); a {@link
 * dev.peft4j.experiments.memorize.MemorizeReport} holds every run's curves as JSON, Markdown and a
 * chart ({@link dev.peft4j.experiments.memorize.AccuracyChart}).
 */
package dev.peft4j.experiments.memorize;
