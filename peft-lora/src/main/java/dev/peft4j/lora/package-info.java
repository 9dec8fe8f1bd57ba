/** LoRA, low-rank adaptation, as a peft4j plugin; its low-rank branch is reused by DoRA. */
package dev.peft4j.lora;
