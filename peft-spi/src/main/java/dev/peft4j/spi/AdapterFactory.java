package dev.peft4j.spi;

import java.util.List;

/**
 * Creates adapters of one method; found by {@link Plugins} from its {@code META-INF/services} entry.
 *
 * <p>Implementations are final, stateless, have a public no-argument constructor and register with
 * {@code @AutoService(AdapterFactory.class)}.
 */
public interface AdapterFactory {

    /**
     * The method's registry name, for example {@code lora}, {@code dora} or {@code mora}.
     *
     * @return the name
     */
    String name();

    /**
     * Creates an uninitialised adapter for one linear layer.
     *
     * @param config the method's configuration
     * @param target the layer
     * @param plugins the registry, for methods that look up further plugins (MoRA's operators)
     * @return the adapter
     * @throws PeftException when the configuration does not fit the layer
     */
    Adapter create(AdapterConfig config, AdapterTarget target, Plugins plugins);

    /**
     * The options this method accepts in {@link AdapterConfig#options()}; any other key, or a value
     * of the wrong type, is refused before an adapter is made.
     *
     * @return the options; none by default
     */
    default List<OptionSpec> options() {
        return List.of();
    }

    /**
     * How this method's adapters are stored in PEFT's adapter format.
     *
     * @return the format; {@link AdapterFileFormat#DEFAULT} unless the method overrides it
     */
    default AdapterFileFormat fileFormat() {
        return AdapterFileFormat.DEFAULT;
    }
}
