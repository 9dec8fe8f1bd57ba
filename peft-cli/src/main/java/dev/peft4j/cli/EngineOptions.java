package dev.peft4j.cli;

import dev.peft4j.core.Backend;
import dev.peft4j.spi.Plugins;
import picocli.CommandLine.Option;

/** {@code --engine} and {@code --device}, for commands that compute. */
final class EngineOptions {

    @Option(names = "--engine", description = "auto, pytorch or mxnet (default: auto).")
    String engine;

    @Option(names = "--device", description = "auto, cpu, gpu or gpu:N (default: auto).")
    String device;

    /**
     * The chosen engine and device.
     *
     * @param plugins the plugin registry
     * @return the backend
     */
    Backend backend(Plugins plugins) {
        return Backend.select(engine, device, plugins);
    }
}
