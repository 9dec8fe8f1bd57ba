package dev.peft4j.mora;

import com.google.auto.service.AutoService;
import dev.peft4j.mora.spi.CompressionOperator;
import dev.peft4j.mora.spi.MoraOperators;
import dev.peft4j.spi.Adapter;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.spi.AdapterFactory;
import dev.peft4j.spi.AdapterFileFormat;
import dev.peft4j.spi.AdapterTarget;
import dev.peft4j.spi.OptionSpec;
import dev.peft4j.spi.PluginSection;
import dev.peft4j.spi.Plugins;
import java.util.List;

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
    public List<OptionSpec> options() {
        return List.of(
                new OptionSpec(MoraOptions.OPERATOR, OptionSpec.Type.STRING, MoraOptions.DEFAULT_OPERATOR),
                new OptionSpec(MoraOptions.MORA_TYPE, OptionSpec.Type.INTEGER, null),
                new OptionSpec(MoraOptions.RANK_RULE, OptionSpec.Type.STRING, RankRule.OFFICIAL.optionValue()),
                new OptionSpec(MoraOptions.GENERALIZED, OptionSpec.Type.BOOLEAN, "false"),
                new OptionSpec(MoraOptions.REMORA_TYPES, OptionSpec.Type.INTEGER, "4"),
                new OptionSpec(MoraOptions.EVAL_CACHE, OptionSpec.Type.BOOLEAN, "true"));
    }

    @Override
    public AdapterFileFormat fileFormat() {
        return FORMAT;
    }

    /** Also looks up the operator the options name or imply, and checks the other MoRA options' values. */
    @Override
    public void check(AdapterConfig config, Plugins plugins) {
        AdapterFactory.super.check(config, plugins);
        MoraOptions.of(config, plugins);
    }

    /** The compression operators, each with the official {@code mora_type} it computes. */
    @Override
    public List<PluginSection> subPlugins(Plugins plugins) {
        return List.of(new PluginSection(
                "MoRA operators",
                MoraOperators.of(plugins).all().stream().map(MoraFactory::row).toList()));
    }

    private static String row(CompressionOperator operator) {
        String type = operator.moraType().isPresent()
                ? "mora_type " + operator.moraType().getAsInt()
                : "paper only";
        return String.format(
                "%-26s %-12s %s", operator.name(), type, operator.getClass().getName());
    }

    @Override
    public Adapter create(AdapterConfig config, AdapterTarget target, Plugins plugins) {
        return new MoraAdapter(config, target, MoraOptions.of(config, plugins));
    }
}
