using LoadGen;

// bench/ingest's tools, one verb each; bench/ingest/run strings them together.
return args.Length == 0 ? Cli.Usage() : await Cli.RunAsync(args[0], Arguments.Parse(args[1..]));
