/**
 * What peft4j users call: {@link dev.peft4j.core.PeftModel} puts adapters on a DJL model's linear
 * layers, merges and unmerges them; {@link dev.peft4j.core.Backend} chooses the engine and device.
 */
package dev.peft4j.core;
