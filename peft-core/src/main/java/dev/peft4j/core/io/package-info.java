/**
 * Hugging Face PEFT's on-disk format: {@link dev.peft4j.core.io.AdapterDirectory} opens an
 * adapter directory, {@link dev.peft4j.core.io.PeftConfigFile} reads and writes its {@code
 * adapter_config.json} as a {@link dev.peft4j.core.io.PeftAdapterConfig}, {@link
 * dev.peft4j.core.io.PeftAdapters} saves and loads a {@link dev.peft4j.core.PeftModel}'s adapter,
 * and {@link dev.peft4j.core.io.StreamingMerge} merges an adapter directory into a model's
 * safetensors file tensor by tensor. Tensors are read and written through {@link
 * dev.peft4j.safetensors.SafetensorsFile} and {@link dev.peft4j.safetensors.SafetensorsWriter}.
 */
package dev.peft4j.core.io;
