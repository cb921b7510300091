from microscout.cli import main

main()
