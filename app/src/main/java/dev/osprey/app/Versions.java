package dev.osprey.app;

import picocli.CommandLine;

/** Versions of Osprey and of the parts it runs on. */
final class Versions implements CommandLine.IVersionProvider {

    @Override
    public String[] getVersion() {
        String osprey = Versions.class.getPackage().getImplementationVersion();
        return new String[] {
            "osprey " + (osprey == null ? "dev" : osprey),
            "Kafka " + org.apache.kafka.common.utils.AppInfoParser.getVersion(),
            "Java " + Runtime.version()
        };
    }
}
