using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Concert.Infrastructure.Persistence.Migrations.SqlServer
{
    /// <inheritdoc />
    public partial class WaitingRoom : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // EF took two dropped columns for renamed ones (same types); the seeded row's update below resets them.
            migrationBuilder.DropTable(
                name: "QueueRankMarks");

            migrationBuilder.DropIndex(
                name: "IX_QueueTokens_Status_Id",
                table: "QueueTokens");

            migrationBuilder.RenameColumn(
                name: "SnapshotAt",
                table: "QueueGates",
                newName: "OpensAt");

            migrationBuilder.RenameColumn(
                name: "AdmittedAtSnapshot",
                table: "QueueGates",
                newName: "Round");

            migrationBuilder.AddColumn<long>(
                name: "DrawKey",
                table: "QueueTokens",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<long>(
                name: "Round",
                table: "QueueTokens",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<int>(
                name: "MaxActiveTokens",
                table: "QueueGates",
                type: "int",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<bool>(
                name: "Paused",
                table: "QueueGates",
                type: "bit",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<long>(
                name: "PendingDrawId",
                table: "QueueGates",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "SettingsInitialised",
                table: "QueueGates",
                type: "bit",
                nullable: false,
                defaultValue: false);

            migrationBuilder.CreateTable(
                name: "QueueDraws",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("SqlServer:Identity", "1, 1"),
                    Commitment = table.Column<string>(type: "nvarchar(64)", maxLength: 64, nullable: false),
                    Seed = table.Column<byte[]>(type: "varbinary(32)", maxLength: 32, nullable: false),
                    ScheduledAt = table.Column<DateTime>(type: "datetime2", nullable: false),
                    DrawnAt = table.Column<DateTime>(type: "datetime2", nullable: true),
                    Total = table.Column<int>(type: "int", nullable: false),
                    Scores = table.Column<byte[]>(type: "varbinary(max)", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_QueueDraws", x => x.Id);
                });

            migrationBuilder.UpdateData(
                table: "QueueGates",
                keyColumn: "Id",
                keyValue: 1,
                columns: new[] { "MaxActiveTokens", "OpensAt", "Paused", "PendingDrawId", "Round", "SettingsInitialised" },
                values: new object[] { 100, null, false, null, 0L, false });

            migrationBuilder.CreateIndex(
                name: "IX_QueueTokens_Status_Round_DrawKey_Id",
                table: "QueueTokens",
                columns: new[] { "Status", "Round", "DrawKey", "Id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "QueueDraws");

            migrationBuilder.DropIndex(
                name: "IX_QueueTokens_Status_Round_DrawKey_Id",
                table: "QueueTokens");

            migrationBuilder.DropColumn(
                name: "DrawKey",
                table: "QueueTokens");

            migrationBuilder.DropColumn(
                name: "Round",
                table: "QueueTokens");

            migrationBuilder.DropColumn(
                name: "MaxActiveTokens",
                table: "QueueGates");

            migrationBuilder.DropColumn(
                name: "Paused",
                table: "QueueGates");

            migrationBuilder.DropColumn(
                name: "PendingDrawId",
                table: "QueueGates");

            migrationBuilder.DropColumn(
                name: "SettingsInitialised",
                table: "QueueGates");

            migrationBuilder.RenameColumn(
                name: "Round",
                table: "QueueGates",
                newName: "AdmittedAtSnapshot");

            migrationBuilder.RenameColumn(
                name: "OpensAt",
                table: "QueueGates",
                newName: "SnapshotAt");

            migrationBuilder.CreateTable(
                name: "QueueRankMarks",
                columns: table => new
                {
                    TokenId = table.Column<long>(type: "bigint", nullable: false),
                    Ahead = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_QueueRankMarks", x => x.TokenId);
                });

            migrationBuilder.CreateIndex(
                name: "IX_QueueTokens_Status_Id",
                table: "QueueTokens",
                columns: new[] { "Status", "Id" });
        }
    }
}
