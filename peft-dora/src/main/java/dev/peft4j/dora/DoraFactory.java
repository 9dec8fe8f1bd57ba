package dev.peft4j.dora;

import com.google.auto.service.AutoService;
import dev.peft4j.spi.Adapter;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.spi.AdapterFactory;
import dev.peft4j.spi.AdapterFileFormat;
import dev.peft4j.spi.AdapterTarget;
import dev.peft4j.spi.OptionSpec;
import dev.peft4j.spi.PeftException;
import dev.peft4j.spi.Plugins;
import java.util.List;

/**
 * The {@code dora} adapter method. Options (in {@link AdapterConfig#options()}):
 *
 * <ul>
 *   <li>{@value #NORM_GRADIENT} = {@code true}: let the gradient flow through the weight norm
 *       (the paper's full method); default {@code false}, the norm is detached (paper §4.3, PEFT).
 *   <li>{@value #EVAL_CACHE} = {@code true}: cache m/‖W0 + sBA‖ across eval forwards, as PEFT's
 *       {@code ENABLE_DORA_CACHING}; default {@code false}.
 *   <li>{@value #EPSILON} = a non-negative number added to every row norm, so that rows of zero
 *       norm can be normalised; default 0, where such a row is an error.
 * </ul>
 *
 * <p>Options are checked before an adapter is made ({@link #options()}): an unknown key or a
 * value of the wrong type is a {@link PeftException}.
 */
@AutoService(AdapterFactory.class)
public final class DoraFactory implements AdapterFactory {

    /** The method's registry name. */
    public static final String NAME = "dora";
    /** Option: let the gradient flow through the weight norm. */
    public static final String NORM_GRADIENT = "dora_norm_gradient";
    /** Option: cache the scale m/n across eval forwards. */
    public static final String EVAL_CACHE = "dora_eval_cache";
    /** Option: a constant added to every row norm. */
    public static final String EPSILON = "dora_epsilon";

    @Override
    public String name() {
        return NAME;
    }

    private static final AdapterFileFormat FORMAT = new DoraFileFormat();
    private static final OptionSpec NORM_GRADIENT_OPTION =
            new OptionSpec(NORM_GRADIENT, OptionSpec.Type.BOOLEAN, "false");
    private static final OptionSpec EVAL_CACHE_OPTION = new OptionSpec(EVAL_CACHE, OptionSpec.Type.BOOLEAN, "false");
    private static final OptionSpec EPSILON_OPTION = new OptionSpec(EPSILON, OptionSpec.Type.NUMBER, "0");

    @Override
    public List<OptionSpec> options() {
        return List.of(NORM_GRADIENT_OPTION, EVAL_CACHE_OPTION, EPSILON_OPTION);
    }

    @Override
    public AdapterFileFormat fileFormat() {
        return FORMAT;
    }

    /** Reads each option through its declaration, so a factory called directly checks them too. */
    @Override
    public Adapter create(AdapterConfig config, AdapterTarget target, Plugins plugins) {
        double epsilon = EPSILON_OPTION.numberValue(NAME, config);
        if (epsilon < 0) {
            throw new PeftException("The dora option " + EPSILON + " must be ≥ 0, got " + epsilon);
        }
        return new DoraAdapter(
                config,
                target,
                NORM_GRADIENT_OPTION.booleanValue(NAME, config),
                EVAL_CACHE_OPTION.booleanValue(NAME, config),
                (float) epsilon);
    }
}
