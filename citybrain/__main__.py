from citybrain.cli import main

main()
