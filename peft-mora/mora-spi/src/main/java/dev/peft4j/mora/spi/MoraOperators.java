package dev.peft4j.mora.spi;

import dev.peft4j.spi.NamedPlugins;
import dev.peft4j.spi.PeftException;
import dev.peft4j.spi.Plugins;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.TreeMap;

/**
 * MoRA's compression operators in a plugin registry: a kind of plugin of the {@code mora} method's
 * own, found through {@link Plugins#registry} like adapters and engines. Operators register with
 * {@code @AutoService(CompressionOperator.class)}.
 */
public final class MoraOperators {

    private static final Map<Integer, String> FIRST_PARTY_TYPES = Map.of(
            1,
            "mora-op-sharing",
            2,
            "mora-op-sharing",
            3,
            "mora-op-sharing",
            4,
            "mora-op-sharing",
            6,
            "mora-op-rotation");

    private MoraOperators() {}

    /**
     * The operators visible to a registry.
     *
     * @param plugins the registry
     * @return the operators by name
     */
    public static NamedPlugins<CompressionOperator> of(Plugins plugins) {
        return plugins.registry(CompressionOperator.class, "operator", CompressionOperator::name);
    }

    /**
     * An operator by name.
     *
     * @param plugins the registry
     * @param name the operator's name
     * @return the operator
     * @throws PeftException listing the available operators, and naming the artifact to add for one
     *     peft4j publishes, when none has that name
     */
    public static CompressionOperator named(Plugins plugins, String name) {
        return of(plugins).get(name);
    }

    /**
     * The operator that computes an official kongds/MoRA {@code mora_type}.
     *
     * @param plugins the registry
     * @param type the official type number, for example 1 (sharing) or 6 (rotation)
     * @return the operator whose {@link CompressionOperator#moraType()} is {@code type}
     * @throws PeftException listing the types on offer (and the artifact to add for one peft4j
     *     publishes) when no operator computes {@code type}, or naming both operators when two claim it
     */
    public static CompressionOperator byMoraType(Plugins plugins, int type) {
        List<CompressionOperator> operators = of(plugins).all();
        List<CompressionOperator> matching = operators.stream()
                .filter(operator -> operator.moraType().equals(OptionalInt.of(type)))
                .toList();
        if (matching.isEmpty()) {
            Map<Integer, String> available = new TreeMap<>();
            for (CompressionOperator operator : operators) {
                operator.moraType().ifPresent(t -> available.merge(t, operator.name(), (a, b) -> a + ", " + b));
            }
            String artifact = FIRST_PARTY_TYPES.get(type);
            throw new PeftException("No MoRA operator computes mora_type " + type + ". Available types (operator): "
                    + available + ". "
                    + (artifact == null
                            ? "Add the jar that provides it to the class path."
                            : "Add the dependency dev.peft4j:" + artifact + " (it computes mora_type " + type + ")."));
        }
        if (matching.size() > 1) {
            CompressionOperator first = matching.get(0);
            CompressionOperator second = matching.get(1);
            throw new PeftException("Two MoRA operators claim mora_type " + type + ": '" + first.name() + "' ("
                    + first.getClass().getName() + " from " + NamedPlugins.sourceOf(first.getClass()) + ") and '"
                    + second.name() + "' (" + second.getClass().getName() + " from "
                    + NamedPlugins.sourceOf(second.getClass()) + "). Remove one of the jars from the class path.");
        }
        return matching.get(0);
    }
}
