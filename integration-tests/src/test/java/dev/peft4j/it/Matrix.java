package dev.peft4j.it;

import dev.peft4j.mora.MoraFactory;
import dev.peft4j.mora.MoraOptions;
import dev.peft4j.mora.spi.CompressionOperator;
import dev.peft4j.mora.spi.MoraOperators;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.spi.AdapterFactory;
import dev.peft4j.spi.EngineAvailability;
import dev.peft4j.spi.EngineBinding;
import dev.peft4j.spi.Plugins;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;

/**
 * The adapter × operator × engine matrix, read from the registry of {@link ItPlugins}: every adapter
 * method, MoRA once per compression operator, on every usable engine. A plugin jar added to the
 * class path or the plugin directory adds its cells without a change here.
 */
final class Matrix {

    /** The rank every combination uses. */
    static final int RANK = 2;
    /** α for the methods that scale (MoRA ignores it). */
    static final float ALPHA = 4;

    private Matrix() {}

    /**
     * Every adapter/operator combination of a registry: one per adapter, MoRA once per operator
     * (with the documented generalisation allowed, so that every operator fits every layer).
     *
     * @param plugins the registry
     * @return the combinations, adapters and operators in name order
     */
    static List<Combination> combinations(Plugins plugins) {
        List<Combination> combinations = new ArrayList<>();
        for (AdapterFactory adapter : plugins.adapters()) {
            AdapterConfig.Builder config =
                    AdapterConfig.builder(adapter.name()).setRank(RANK).optAlpha(ALPHA);
            if (!MoraFactory.NAME.equals(adapter.name())) {
                combinations.add(new Combination(adapter.name(), config.build()));
                continue;
            }
            for (CompressionOperator operator : MoraOperators.of(plugins).all()) {
                combinations.add(new Combination(
                        adapter.name() + "/" + operator.name(),
                        config.optOption(MoraOptions.OPERATOR, operator.name())
                                .optOption(MoraOptions.GENERALIZED, "true")
                                .build()));
            }
        }
        return combinations;
    }

    /**
     * One combination of a registry, by label.
     *
     * @param plugins the registry
     * @param label for example {@code dora} or {@code mora/rotation}
     * @return the combination
     * @throws IllegalArgumentException when the registry has none of that label
     */
    static Combination combination(Plugins plugins, String label) {
        return combinations(plugins).stream()
                .filter(c -> c.label().equals(label))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("No combination '" + label + "' in " + plugins));
    }

    /**
     * The engines of a registry that can run here; the others are reported with their reason.
     *
     * @param plugins the registry
     * @return the usable engines, in name order
     */
    static List<EngineBinding> engines(Plugins plugins) {
        List<EngineBinding> usable = new ArrayList<>();
        for (EngineBinding engine : plugins.engines()) {
            EngineAvailability availability = engine.availability();
            if (availability.usable()) {
                usable.add(engine);
            } else {
                System.out.println("matrix: engine " + engine.name() + " is left out: " + availability.reason());
            }
        }
        return usable;
    }

    /**
     * The combinations of the plugin-directory registry, for {@code @MethodSource}.
     *
     * @return the combinations
     */
    static Stream<Combination> combinations() {
        return combinations(ItPlugins.registry()).stream();
    }

    /**
     * Every cell: combination × usable engine, for {@code @MethodSource}; prints the matrix' size.
     *
     * @return (combination, engine) pairs
     */
    static Stream<Arguments> cases() {
        Plugins plugins = ItPlugins.registry();
        List<Combination> combinations = combinations(plugins);
        List<EngineBinding> engines = engines(plugins);
        System.out.println(size(combinations.size(), engines.size()) + ": " + combinations + " on " + engines);
        return combinations.stream().flatMap(c -> engines.stream().map(e -> Arguments.of(c, e)));
    }

    /**
     * The matrix' size as the run reports it.
     *
     * @param combinations adapter/operator combinations
     * @param engines usable engines
     * @return for example {@code matrix: 11 adapter/operator combinations × 2 engines = 22 cases}
     */
    static String size(int combinations, int engines) {
        return "matrix: " + combinations + " adapter/operator combinations × " + engines + " engines = "
                + combinations * engines + " cases";
    }
}
