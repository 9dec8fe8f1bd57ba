package dev.peft4j.lora;

import com.google.auto.service.AutoService;
import dev.peft4j.spi.Adapter;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.spi.AdapterFactory;
import dev.peft4j.spi.AdapterFileFormat;
import dev.peft4j.spi.AdapterTarget;
import dev.peft4j.spi.OptionSpec;
import dev.peft4j.spi.Plugins;
import java.util.List;

/**
 * The {@code lora} adapter method. Option: {@value #LORA_BIAS} ({@code true}/{@code false},
 * default false), PEFT's {@code lora_bias}: B has a trainable bias (see {@link LoraAdapter}). LoRA
 * works on embeddings too.
 */
@AutoService(AdapterFactory.class)
public final class LoraFactory implements AdapterFactory {

    /** The method's registry name. */
    public static final String NAME = "lora";

    /** The option of PEFT's {@code lora_bias}. */
    public static final String LORA_BIAS = "lora_bias";

    private static final AdapterFileFormat FORMAT = new LoraFileFormat();
    private static final OptionSpec LORA_BIAS_OPTION = new OptionSpec(LORA_BIAS, OptionSpec.Type.BOOLEAN, "false");

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Adapter create(AdapterConfig config, AdapterTarget target, Plugins plugins) {
        return new LoraAdapter(config, target, LORA_BIAS_OPTION.booleanValue(NAME, config));
    }

    @Override
    public boolean supportsEmbeddings() {
        return true;
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(LORA_BIAS_OPTION);
    }

    @Override
    public AdapterFileFormat fileFormat() {
        return FORMAT;
    }
}
