/**
 * peft4j's benchmarks: the workloads (one linear layer under each method), the quick ratio report
 * behind {@code peft4j bench}; the JMH suite (module {@code bench-jmh}) times the same workloads.
 */
package dev.peft4j.bench;
