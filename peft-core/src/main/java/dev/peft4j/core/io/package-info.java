/**
 * Hugging Face PEFT's on-disk format: {@link dev.peft4j.core.io.AdapterDirectory} opens an
 * adapter directory, {@link dev.peft4j.core.io.PeftConfigFile} reads and writes its {@code
 * adapter_config.json} as a {@link dev.peft4j.core.io.PeftAdapterConfig}, and {@link
 * dev.peft4j.core.io.SafetensorsFile} and {@link dev.peft4j.core.io.SafetensorsWriter} read and
 * write safetensors files one tensor at a time, validated and atomically.
 */
package dev.peft4j.core.io;
