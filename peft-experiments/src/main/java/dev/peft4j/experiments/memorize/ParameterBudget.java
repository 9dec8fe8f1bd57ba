package dev.peft4j.experiments.memorize;

import dev.peft4j.core.ModuleTree;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.spi.AdapterFactory;
import dev.peft4j.spi.AdapterTarget;
import dev.peft4j.spi.Plugins;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Puts every adapter method at the same number of trainable values as LoRA at rank r, Σ r·(d + k)
 * over the layers, so that methods are compared at equal budgets. Methods that train more per rank
 * (DoRA's magnitude adds d per layer) get a lower rank on some layers through {@code rank_pattern},
 * methods that train less (MoRA when r̂ rounds down, as rotation's even r̂ does) a higher one.
 */
final class ParameterBudget {

    private ParameterBudget() {}

    /**
     * A run's adapter configuration ({@link RunSpec#adapterConfig()}) for some layers, balanced to
     * LoRA's budget at the run's rank.
     *
     * @param spec the run: method, operator and rank
     * @param layers the linear layers the adapter goes on
     * @param plugins where the method is looked up
     * @return the balanced configuration
     */
    static AdapterConfig forRun(RunSpec spec, List<ModuleTree.Layer> layers, Plugins plugins) {
        AdapterFactory factory = plugins.adapter(spec.method());
        List<AdapterTarget> targets =
                layers.stream().map(ModuleTree.Layer::target).toList();
        return balance(factory, spec.adapterConfig(), targets, loraBudget(spec.rank(), targets), plugins);
    }

    /**
     * LoRA's count at rank r: the budget.
     *
     * @param rank r
     * @param layers the adapted layers
     * @return Σ r·(d + k)
     */
    static long loraBudget(int rank, List<AdapterTarget> layers) {
        return layers.stream()
                .mapToLong(t -> (long) rank * (t.inFeatures() + t.outFeatures()))
                .sum();
    }

    /**
     * A configuration whose per-layer ranks bring the method's count closest to the budget: one
     * layer at a time, in order, its rank moves by one, down or up, when that gets strictly closer.
     *
     * @param factory the method
     * @param config the configuration at rank r
     * @param layers the adapted layers
     * @param budget the count to match
     * @param plugins the registry the method may need
     * @return the balanced configuration
     */
    static AdapterConfig balance(
            AdapterFactory factory, AdapterConfig config, List<AdapterTarget> layers, long budget, Plugins plugins) {
        List<Integer> ranks = new ArrayList<>();
        long total = 0;
        for (AdapterTarget layer : layers) {
            ranks.add(config.rank());
            total += count(factory, config, layer, config.rank(), plugins);
        }
        for (int i = 0; i < layers.size(); i++) {
            long current = count(factory, config, layers.get(i), ranks.get(i), plugins);
            for (int rank : new int[] {ranks.get(i) - 1, ranks.get(i) + 1}) {
                if (rank < 1) {
                    continue;
                }
                long candidate = total - current + count(factory, config, layers.get(i), rank, plugins);
                if (Math.abs(candidate - budget) < Math.abs(total - budget)) {
                    ranks.set(i, rank);
                    total = candidate;
                    break;
                }
            }
        }
        AdapterConfig.Builder builder = config.toBuilder();
        for (int i = 0; i < layers.size(); i++) {
            if (ranks.get(i) != config.rank()) {
                builder.optRankPattern(Pattern.quote(layers.get(i).path()), ranks.get(i));
            }
        }
        return builder.build();
    }

    private static long count(
            AdapterFactory factory, AdapterConfig config, AdapterTarget layer, int rank, Plugins plugins) {
        return factory.create(config.toBuilder().setRank(rank).build(), layer, plugins)
                .trainableParameterCount();
    }
}
