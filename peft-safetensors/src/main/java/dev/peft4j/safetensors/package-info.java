/**
 * The safetensors file format, self-contained: {@link dev.peft4j.safetensors.SafetensorsFile}
 * opens a file and reads one tensor at a time after validating the whole header against the file's
 * length, {@link dev.peft4j.safetensors.SafetensorsWriter} writes one tensor at a time into a file
 * that appears only when complete ({@link dev.peft4j.safetensors.AtomicFile}), and {@link
 * dev.peft4j.safetensors.StrictJson} is the JSON reader every peft4j file goes through.
 */
package dev.peft4j.safetensors;
