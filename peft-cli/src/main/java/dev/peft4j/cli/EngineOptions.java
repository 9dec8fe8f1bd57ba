package dev.peft4j.cli;

import dev.peft4j.core.Backend;
import dev.peft4j.spi.PeftException;
import dev.peft4j.spi.Plugins;
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

    /**
     * The chosen engine and device.
     *
     * @param plugins the plugin registry
     * @return the backend
     * @throws PeftException when the engine or device cannot be used, naming the property or
     *     variable that chose it
     */
    public Backend backend(Plugins plugins) {
        return Backend.select(engine, device, plugins);
    }
}
