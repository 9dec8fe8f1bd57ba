/**
 * The JMH suite: forward (eval and train), train step, merge, save and load of one linear layer
 * under every method, engine and size. Every benchmark class is its own state; {@link
 * dev.peft4j.bench.jmh.LayerState} holds the shared parameters and checks.
 */
package dev.peft4j.bench.jmh;
