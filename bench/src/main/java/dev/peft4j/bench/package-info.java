/**
 * peft4j's benchmarks: the workloads (one linear layer under each method), the quick ratio report
 * behind {@code peft4j bench}, and the JMH suite in {@link dev.peft4j.bench.jmh}.
 */
package dev.peft4j.bench;
