package dev.peft4j.cli;

import dev.peft4j.core.Backend;
import dev.peft4j.spi.PeftException;
import dev.peft4j.spi.Plugins;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import picocli.CommandLine.Option;

/**
 * {@code --engine} and {@code --device}, for commands that compute. Without a flag the choice
 * comes, as {@link Backend} documents, from the system property {@code peft4j.engine} ({@code
 * peft4j.device}), then the environment variable {@code PEFT4J_ENGINE} ({@code PEFT4J_DEVICE});
 * a refused choice names where it came from.
 */
public final class EngineOptions {

    @Option(names = "--engine", description = "auto, pytorch or mxnet (default: auto, or PEFT4J_ENGINE).")
    String engine;

    @Option(names = "--device", description = "auto, cpu, gpu or gpu:N (default: auto, or PEFT4J_DEVICE).")
    String device;

    /** Where a choice came from, and its value. */
    private record Choice(String source, String value) {

        static Choice of(String flag, String flagValue, String property, String variable, Map<String, String> environment,
                UnaryOperator<String> properties) {
            if (flagValue != null) {
                return new Choice(flag, flagValue);
            }
            String fromProperty = properties.apply(property);
            if (fromProperty != null && !fromProperty.isBlank()) {
                return new Choice("the system property -D" + property, fromProperty);
            }
            String fromEnvironment = environment.get(variable);
            if (fromEnvironment != null && !fromEnvironment.isBlank()) {
                return new Choice("the environment variable " + variable, fromEnvironment);
            }
            return new Choice(flag, null);
        }
    }

    /**
     * The chosen engine and device.
     *
     * @param plugins the plugin registry
     * @return the backend
     * @throws PeftException when the engine or device cannot be used, naming the flag, property or variable that chose it
     */
    public Backend backend(Plugins plugins) {
        return select(engine, device, plugins, System.getenv(), System::getProperty);
    }

    /**
     * Selects the backend from flags, properties and the environment.
     *
     * @param engine the {@code --engine} value, or {@code null}
     * @param device the {@code --device} value, or {@code null}
     * @param plugins the plugin registry
     * @param environment the environment variables
     * @param properties the system properties
     * @return the backend
     */
    static Backend select(String engine, String device, Plugins plugins, Map<String, String> environment,
            UnaryOperator<String> properties) {
        Choice engineChoice = Choice.of("--engine", engine, "peft4j.engine", "PEFT4J_ENGINE", environment, properties);
        Choice deviceChoice = Choice.of("--device", device, "peft4j.device", "PEFT4J_DEVICE", environment, properties);
        try {
            return Backend.select(engineChoice.value(), deviceChoice.value(), plugins);
        } catch (PeftException | IllegalArgumentException e) {
            List<String> sources = new ArrayList<>();
            for (Choice choice : List.of(engineChoice, deviceChoice)) {
                if (choice.value() != null && !choice.source().startsWith("--")) {
                    sources.add("'" + choice.value() + "' comes from " + choice.source());
                }
            }
            if (sources.isEmpty()) {
                throw e;
            }
            throw new PeftException(e.getMessage() + " (" + String.join(", ", sources) + ": correct or unset it)", e);
        }
    }
}
