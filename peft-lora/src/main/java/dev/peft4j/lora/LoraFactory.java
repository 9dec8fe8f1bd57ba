package dev.peft4j.lora;

import com.google.auto.service.AutoService;
import dev.peft4j.spi.Adapter;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.spi.AdapterFactory;
import dev.peft4j.spi.AdapterFileFormat;
import dev.peft4j.spi.AdapterTarget;
import dev.peft4j.spi.Plugins;

/** The {@code lora} adapter method. */
@AutoService(AdapterFactory.class)
public final class LoraFactory implements AdapterFactory {

    /** The method's registry name. */
    public static final String NAME = "lora";

    private static final AdapterFileFormat FORMAT = new LoraFileFormat();

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Adapter create(AdapterConfig config, AdapterTarget target, Plugins plugins) {
        return new LoraAdapter(config, target);
    }

    @Override
    public AdapterFileFormat fileFormat() {
        return FORMAT;
    }
}
