/**
 * The peft4j plugin contracts: adapters ({@link dev.peft4j.spi.AdapterFactory}), MoRA compression
 * operators ({@code dev.peft4j.mora.spi.CompressionOperator}, in mora-spi) and engines ({@link
 * dev.peft4j.spi.EngineBinding}), with the registry that finds them ({@link
 * dev.peft4j.spi.Plugins}).
 */
package dev.peft4j.spi;
