package dev.peft4j.mora;

import com.google.auto.service.AutoService;
import dev.peft4j.spi.Adapter;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.spi.AdapterFactory;
import dev.peft4j.spi.AdapterFileFormat;
import dev.peft4j.spi.AdapterTarget;
import dev.peft4j.spi.Plugins;

/**
 * The {@code mora} adapter method. Its compression operator is looked up in the registry it is
 * given, by the options described in {@link MoraOptions}, so operator modules added later work
 * unchanged.
 */
@AutoService(AdapterFactory.class)
public final class MoraFactory implements AdapterFactory {

    /** The method's registry name. */
    public static final String NAME = "mora";

    @Override
    public String name() {
        return NAME;
    }

    private static final AdapterFileFormat FORMAT = new MoraFileFormat();

    @Override
    public AdapterFileFormat fileFormat() {
        return FORMAT;
    }

    @Override
    public Adapter create(AdapterConfig config, AdapterTarget target, Plugins plugins) {
        return new MoraAdapter(config, target, MoraOptions.of(config, plugins));
    }
}
