package dev.peft4j.spi;

/** How the down projection (LoRA's A) is initialised; the up projection always starts at zero. */
public enum WeightInit {
    /** PEFT's default: {@code kaiming_uniform_(a=√5)}, that is U(−1/√k, 1/√k). */
    KAIMING_UNIFORM,
    /** PEFT's {@code init_lora_weights="gaussian"}: N(0, std = 1/r). */
    GAUSSIAN
}
