package dev.peft4j.cli;

import dev.peft4j.core.Backend;
import dev.peft4j.spi.PeftException;
import dev.peft4j.spi.Plugins;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code --engine} and {@code --device}, for commands that compute. Without a flag the choice
 * comes, as {@link Backend} documents, from the system property {@code peft4j.engine} ({@code
 * peft4j.device}), then the environment variable {@code PEFT4J_ENGINE} ({@code PEFT4J_DEVICE});
 * a refused choice names where it came from.
 */
public final class EngineOptions {

    @Spec(Spec.Target.MIXEE)
    private CommandSpec command;

    @Option(names = "--engine", description = "auto, pytorch or mxnet (default: auto, or PEFT4J_ENGINE).")
    String engine;

    @Option(names = "--device", description = "auto, cpu, gpu or gpu:N (default: auto, or PEFT4J_DEVICE).")
    String device;

    /**
     * The chosen engine and device.
     *
     * @param plugins the plugin registry
     * @return the backend
     * @throws ParameterException when {@code --engine} names no installed engine or {@code --device}
     *     is no device name (status 2)
     * @throws PeftException when the engine or device cannot be used, naming the property or
     *     variable that chose it
     */
    public Backend backend(Plugins plugins) {
        if (engine != null && !engine.isBlank() && !Backend.AUTO.equalsIgnoreCase(engine.trim())) {
            try {
                plugins.engine(engine.trim());
            } catch (PeftException e) { // an engine name no plugin has is a bad flag value, status 2
                throw new ParameterException(command.commandLine(), "--engine: " + e.getMessage());
            }
        }
        try {
            return Backend.select(engine, device, plugins);
        } catch (IllegalArgumentException e) { // only a flag's device word that is no device name
            throw new ParameterException(command.commandLine(), "--device: " + e.getMessage());
        }
    }
}
