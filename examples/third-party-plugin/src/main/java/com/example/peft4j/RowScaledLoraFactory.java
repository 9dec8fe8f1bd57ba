package com.example.peft4j;

import com.google.auto.service.AutoService;
import dev.peft4j.spi.Adapter;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.spi.AdapterFactory;
import dev.peft4j.spi.AdapterTarget;
import dev.peft4j.spi.Plugins;

/**
 * The {@code lora-rowscale} adapter method: LoRA with a learned per-row scale (see {@link
 * RowScaledLoraAdapter}). It takes LoRA's settings (r, α, rsLoRA, dropout, initialisation) and no
 * options of its own.
 */
@AutoService(AdapterFactory.class)
public final class RowScaledLoraFactory implements AdapterFactory {

    /** The method's registry name. */
    public static final String NAME = "lora-rowscale";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Adapter create(AdapterConfig config, AdapterTarget target, Plugins plugins) {
        return new RowScaledLoraAdapter(config, target);
    }
}
