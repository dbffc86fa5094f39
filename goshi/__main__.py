from goshi.cli import main

main()
